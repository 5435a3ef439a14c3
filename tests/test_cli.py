"""The `cetak` command itself: every group loads, and one that cannot is an error by name."""

from __future__ import annotations

import pytest

from cetak import cli


def test_every_command_group_loads():
    parser = cli.build_parser()
    choices = next(a for a in parser._actions if a.dest == "group").choices
    assert set(choices) == {name for name, _module, _help in cli.COMMAND_GROUPS}


@pytest.mark.parametrize("module", ["cetak.no_such_module", "cetak.controller.no_such_cli"])
def test_a_group_that_fails_to_import_is_named(monkeypatch, capsys, module):
    monkeypatch.setattr(cli, "COMMAND_GROUPS",
                        [*cli.COMMAND_GROUPS, ("broken", module, "a group that cannot load")])
    assert cli.main(["--help"]) == 2
    err = capsys.readouterr().err
    assert "'broken'" in err and module in err and "Traceback" not in err


def test_a_group_whose_own_imports_fail_is_named(monkeypatch, capsys, tmp_path):
    (tmp_path / "cetak_test_broken_group.py").write_text("import cetak.not_a_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_GROUPS",
                        [("broken", "cetak_test_broken_group", "imports something missing")])
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "cetak_test_broken_group" in err and "cetak.not_a_module" in err
