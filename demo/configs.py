"""Agent configuration files for the demo's sites (the same TOML an operator writes)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _toml_str(value: str | Path) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_agent_config(folder: Path, *, agent_id: str, site_code: str, controller: str,
                       pki: Path, printers: list[tuple[str, str, str]],
                       window_hours: float = 4.0, tuning: dict[str, float] | None = None,
                       console_address: str = "off") -> Path:
    """Write agent.toml and a 0600 journal key into `folder`; printers are
    (printer_id, dialect, "host:port") of TCP printers whose chip station is port + 1."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "journal.key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    stem = f"agent-{agent_id}"
    lines = [
        f"agent_id = {_toml_str(agent_id)}",
        f"site_code = {_toml_str(site_code)}",
        f"window_hours = {window_hours}",
        # Many agents on one machine would all want the default console port.
        f"console_address = {_toml_str(console_address)}",
        "",
        "[controller]",
        f"address = {_toml_str(controller)}",
        f"ca = {_toml_str(pki / 'ca.pem')}",
        f"cert = {_toml_str(pki / (stem + '.pem'))}",
        f"key = {_toml_str(pki / (stem + '.key'))}",
        "",
        "[journal]",
        f"path = {_toml_str(folder / 'journal.db')}",
        f"key_file = {_toml_str(key_file)}",
        "",
        "[signer]",
        f"key = {_toml_str(pki / 'document-signer.key')}",
        f"cert = {_toml_str(pki / 'document-signer.pem')}",
    ]
    if tuning:
        lines += ["", "[tuning]"] + [f"{k} = {v}" for k, v in tuning.items()]
    for printer_id, dialect, address in printers:
        host, port = address.rsplit(":", 1)
        lines += ["", "[[printers]]", f"id = {_toml_str(printer_id)}", 'transport = "tcp"',
                  f"address = {_toml_str(address)}", f"dialect = {_toml_str(dialect)}",
                  f"contactless = {_toml_str(f'{host}:{int(port) + 1}')}"]
    path = folder / "agent.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
