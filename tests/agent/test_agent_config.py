"""Agent configuration: valid files load into typed values; every error names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cetak.agent.config import load_config
from cetak.agent.errors import ConfigError

VALID = """
agent_id = "agent-3276-01"
site_code = "32.76.01.1001"
window_hours = 6
metrics_port = 9464

[controller]
address = "controller.depok.example:7443"
ca = "tls/ca.pem"
cert = "tls/agent.pem"
key = "/etc/cetak/agent.key"

[journal]
path = "journal.sqlite"
key_file = "journal.key"

[signer]
key = "ds.key"
cert = "ds.pem"

[tuning]
heartbeat_s = 2

[[printers]]
id = "p1"
transport = "usb"
vendor = 0x0F2B
product = 0x1234
serial = "EV123"
model = "Primacy 2"
contactless = "pcsc:ACS ACR1252"

[[printers]]
id = "p2"
transport = "tcp"
address = "10.0.0.7:9100"
dialect = "magicard"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value


def test_valid_config_loads_typed_values(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.agent_id == "agent-3276-01"
    assert config.window_hours == 6.0
    assert config.metrics_port == 9464
    assert config.controller.ca == tmp_path / "tls/ca.pem"  # relative to the config file
    assert config.controller.key == Path("/etc/cetak/agent.key")
    assert config.journal.path == tmp_path / "journal.sqlite"
    assert config.signer is not None and config.signer.cert == tmp_path / "ds.pem"
    assert config.tuning.heartbeat_s == 2.0
    assert config.tuning.reconnect_max_s == 30.0
    p1, p2 = config.printers
    assert (p1.transport, p1.vendor, p1.product, p1.dialect) == ("usb", 0x0F2B, 0x1234, None)
    assert (p2.transport, p2.address, p2.dialect) == ("tcp", "10.0.0.7:9100", "magicard")


def test_defaults(tmp_path: Path) -> None:
    text = """
agent_id = "a"
site_code = "s"
controller = { address = "127.0.0.1:1", insecure = true }
journal = { path = "j.sqlite", key_env = "CETAK_JOURNAL_KEY" }
printers = [{ id = "v", transport = "virtual" }]
"""
    config = load_config(write(tmp_path, text))
    assert config.window_hours == 4.0
    assert config.metrics_port is None and config.signer is None
    assert config.metrics_address == "127.0.0.1"  # loopback unless asked
    assert config.journal.key_env == "CETAK_JOURNAL_KEY"


@pytest.mark.parametrize(("edit", "key", "fragment"), [
    (('transport = "tcp"', 'transport = "usbx"'), "printers[1].transport",
     'unknown transport "usbx" (expected usb, tcp, virtual)'),
    (('dialect = "magicard"', 'dialect = "zebra"'), "printers[1].dialect", 'unknown dialect'),
    (('agent_id = "agent-3276-01"', ''), "agent_id", "missing"),
    (('window_hours = 6', 'window_hours = "six"'), "window_hours", "expected a number"),
    (('window_hours = 6', 'window_hours = 0'), "window_hours", "greater than 0"),
    (('window_hours = 6', 'windw_hours = 6'), "windw_hours", "unknown key"),
    (('metrics_port = 9464', 'metrics_port = 70000'), "metrics_port", "out of range"),
    (('metrics_port = 9464', 'metrics_port = 9464\nmetrics_address = "pc-kelurahan"'),
     "metrics_address", "not an IP address"),
    (('address = "controller.depok.example:7443"', 'address = "controller"'),
     "controller.address", "no port"),
    (('ca = "tls/ca.pem"', ''), "controller.ca", "missing"),
    (('key_file = "journal.key"', ''), "journal.key_file", "exactly one of key_file, key_env"),
    (('key_file = "journal.key"', 'key_file = "journal.key"\nkey_env = "K"'),
     "journal.key_file", "exactly one"),
    (('id = "p2"', 'id = "p1"'), "printers[1].id", 'duplicate printer id "p1"'),
    (('address = "10.0.0.7:9100"', ''), "printers[1].address", "missing"),
    (('vendor = 0x0F2B', ''), "printers[0].vendor", "missing"),
    (('serial = "EV123"', 'serial = 123'), "printers[0].serial", "expected a string"),
    (('serial = "EV123"', 'colour = "red"'), "printers[0].colour", "unknown key"),
    (('heartbeat_s = 2', 'heartbeat_s = -1'), "tuning.heartbeat_s", "at least 0"),
    (('[signer]\nkey = "ds.key"\n', '[signer]\n'), "signer.key", "missing"),
    (('[signer]\nkey = "ds.key"\ncert = "ds.pem"\n', ''), "signer", "contactless is set"),
    (('dialect = "magicard"', ''), "printers[1].dialect", "missing"),
    (('contactless = "pcsc:ACS ACR1252"', 'contactless = "nfc"'), "printers[0].contactless",
     "not a contactless station"),
])
def test_errors_name_the_key(tmp_path: Path, edit: tuple[str, str], key: str,
                             fragment: str) -> None:
    old, new = edit
    assert old in VALID
    err = error_of(tmp_path, VALID.replace(old, new, 1))
    assert err.key == key
    assert fragment in str(err)
    assert str(err).startswith(f"{key}: ")


def test_no_printers(tmp_path: Path) -> None:
    text = VALID.split("[[printers]]")[0]
    assert error_of(tmp_path, text).key == "printers"


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid TOML" in str(error_of(tmp_path, "agent_id = "))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_insecure_needs_no_tls(tmp_path: Path) -> None:
    text = VALID.replace('ca = "tls/ca.pem"\ncert = "tls/agent.pem"\nkey = "/etc/cetak/agent.key"',
                         "insecure = true")
    config = load_config(write(tmp_path, text))
    assert config.controller.insecure and config.controller.ca is None


def test_metrics_address_binds_where_configured(tmp_path: Path) -> None:
    import urllib.request

    from cetak.agent.metrics import AgentMetrics

    text = VALID.replace("metrics_port = 9464", 'metrics_port = 0\nmetrics_address = "127.0.0.2"')
    config = load_config(write(tmp_path, text))
    assert config.metrics_address == "127.0.0.2"
    server = AgentMetrics().serve(config.metrics_port, config.metrics_address)
    try:
        with urllib.request.urlopen(f"http://127.0.0.2:{server.port}/metrics", timeout=5) as r:
            assert r.status == 200
    finally:
        server.stop()


CUPS = """
[[printers]]
id = "fargo"
backend = "cups"
queue = "ipp://127.0.0.1:631/printers/FARGO"
mode = "driver"
trusted = false
options = { Ribbon = "YMCKO", copies = 1, Duplex = false }
"""


def test_a_cups_queue_loads_typed_values(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID + CUPS + CUPS.replace('"fargo"', '"raw"')
                               .replace('"driver"', '"raw"\ndialect = "evolis"')))
    fargo, raw = config.printers[2], config.printers[3]
    assert (fargo.backend, fargo.queue, fargo.mode, fargo.trusted) == (
        "cups", "ipp://127.0.0.1:631/printers/FARGO", "driver", False)
    assert dict(fargo.options) == {"Ribbon": "YMCKO", "copies": 1, "Duplex": False}
    assert (fargo.user, fargo.pending_timeout_s, fargo.job_timeout_s) == ("cetak", 300.0, 600.0)
    assert (raw.mode, raw.dialect) == ("raw", "evolis")
    assert config.printers[0].backend == "direct"


@pytest.mark.parametrize(("edit", "key", "fragment"), [
    (('queue = "ipp://127.0.0.1:631/printers/FARGO"', 'queue = "socket://10.0.0.7:9100"'),
     "printers[2].queue", "not an IPP queue URI"),
    (('queue = "ipp://127.0.0.1:631/printers/FARGO"', ''), "printers[2].queue", "missing"),
    (('mode = "driver"', 'mode = "pcl"'), "printers[2].mode", "unknown mode"),
    (('mode = "driver"', 'mode = "raw"'), "printers[2].dialect", 'mode "raw"'),
    (('trusted = false', 'trusted = "no"'), "printers[2].trusted", "expected true or false"),
    (('copies = 1', 'copies = 1.5'), "printers[2].options.copies", "expected a string"),
    (('trusted = false', 'transport = "usb"'), "printers[2].transport", "not used with"),
    (('backend = "cups"', 'backend = "lpd"'), "printers[2].backend", "unknown backend"),
])
def test_cups_errors_name_the_key(tmp_path: Path, edit: tuple[str, str], key: str,
                                  fragment: str) -> None:
    old, new = edit
    assert old in CUPS
    err = error_of(tmp_path, VALID + CUPS.replace(old, new, 1))
    assert err.key == key and fragment in str(err)


def test_cups_keys_need_the_cups_backend(tmp_path: Path) -> None:
    err = error_of(tmp_path, VALID.replace('dialect = "magicard"',
                                           'dialect = "magicard"\nmode = "raw"'))
    assert err.key == "printers[1].mode" and 'only with backend = "cups"' in str(err)
