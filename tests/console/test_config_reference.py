"""docs/config-reference.md is rendered from the code and cannot drift from it."""

from __future__ import annotations

import dataclasses

from cetak.agent import config_reference as ref


def test_committed_reference_equals_a_fresh_rendering() -> None:
    assert ref.DOC.read_text("utf-8") == ref.render(), \
        "stale: run python -m cetak.agent.config_reference --write"


def test_every_documented_key_is_accepted_and_every_accepted_key_documented() -> None:
    documented = {f.name for _, cls, _ in ref.TABLES for f in dataclasses.fields(cls)
                  if (cls.__name__, f.name) not in ref.INTERNAL}
    # [tuning] accepts its dataclass's fields by construction (`t.only(*names)`).
    tuning = {f.name for f in dataclasses.fields(ref.agent_config.TuningConfig)}
    assert documented == ref.accepted_keys() | tuning


def test_check_mode_reports_staleness(tmp_path, monkeypatch) -> None:
    stale = tmp_path / "config-reference.md"
    stale.write_text("old\n")
    monkeypatch.setattr(ref, "DOC", stale)
    assert ref.main(["--check"]) == 1
    assert ref.main(["--write"]) == 0 and ref.main(["--check"]) == 0
