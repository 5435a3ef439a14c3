"""`cetak agent run`: configuration and key problems end with a clear message, no traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from agent_fakes import write_key_file

from cetak.cli import main

CONFIG = """
agent_id = "a"
site_code = "32.76.01.1001"
controller = {{ address = "127.0.0.1:1", insecure = true }}
journal = {{ path = "journal.sqlite", key_file = "journal.key" }}

[[printers]]
id = "p1"
transport = "{transport}"
"""


def test_config_error_names_key(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG.format(transport="usbx"))
    with caplog.at_level(logging.ERROR):
        assert main(["agent", "run", "--config", str(config)]) == 2
    assert 'printers[0].transport: unknown transport "usbx"' in caplog.text


def test_open_key_file_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "agent.toml"
    config.write_text(CONFIG.format(transport="virtual"))
    write_key_file(tmp_path / "journal.key").chmod(0o644)
    with caplog.at_level(logging.ERROR):
        assert main(["agent", "run", "--config", str(config)]) == 1
    assert "mode 0644" in caplog.text
    assert not (tmp_path / "journal.sqlite").exists()
