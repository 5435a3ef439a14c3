"""The message catalogue: in step with the code, valid gettext, placeholders kept."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from cetak.i18n import (
    choose_language,
    compile_po,
    gettext_for,
    normalize,
    parse_po,
    read_po,
)
from cetak.i18n.extract import catalogues, differences


def test_every_marked_message_is_in_each_catalogue_and_nothing_else() -> None:
    assert catalogues(), "no catalogue found"
    for po in catalogues():
        assert differences(po) == ([], []), f"run: python -m cetak.i18n.extract --write ({po})"


def test_translations_keep_their_placeholders() -> None:
    for po in catalogues():
        for msgid, entry in parse_po(po.read_text("utf-8")).items():
            if msgid and entry["msgstr"]:
                assert set(re.findall(r"{\w+}", msgid)) == set(
                    re.findall(r"{\w+}", entry["msgstr"])), msgid


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt not installed")
def test_msgfmt_accepts_the_catalogues() -> None:
    for po in catalogues():
        subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)


def test_compiled_catalogue_reads_back() -> None:
    import gettext
    import io

    messages = read_po(catalogues()[0])
    t = gettext.GNUTranslations(io.BytesIO(compile_po(messages)))
    for msgid, msgstr in messages.items():
        if msgid:
            assert t.gettext(msgid) == msgstr


def test_language_choice() -> None:
    assert choose_language(None, {}) == "id"
    assert choose_language("en", {"LANG": "id_ID.UTF-8"}) == "en"
    assert choose_language(None, {"LANG": "en_US.UTF-8"}) == "en"
    assert choose_language(None, {"LC_ALL": "id_ID.UTF-8", "LANG": "en_US.UTF-8"}) == "id"
    assert choose_language(None, {"LANG": "C.UTF-8"}) == "id"   # says nothing: default
    assert choose_language(None, {"LANG": "fr_FR.UTF-8"}) == "id"  # unsupported: default
    assert normalize("in_ID") == "id" and normalize("xx") is None


def test_bahasa_by_default_english_on_request() -> None:
    jam = "Card jam: open the cover, take the card out, press Continue"
    assert gettext_for("id")(jam) == "Kartu macet: buka penutup, keluarkan kartu, tekan Lanjut"
    assert gettext_for("en")(jam) == jam
    assert gettext_for("id")("not in the catalogue") == "not in the catalogue"


def test_agent_cli_speaks_the_chosen_language(tmp_path, caplog) -> None:
    import logging

    from cetak.cli import main

    config = tmp_path / "agent.toml"
    config.write_text('agent_id = "a"\nsite_code = "s"\nwindw_hours = 3\n')
    with caplog.at_level(logging.ERROR):
        assert main(["agent", "run", "--config", str(config), "--lang", "id"]) == 2
    assert "perbaiki berkas itu" in caplog.text and "windw_hours" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert main(["agent", "run", "--config", str(config), "--lang", "en"]) == 2
    assert "fix the file" in caplog.text
