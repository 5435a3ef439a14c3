from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from cetak.security import pki
from cetak.security.errors import CertificateIdentityError, PkiError, PkiExistsError
from cetak.security.identity import Identity, Role, identity_from_certificate

from .conftest import SITE, Pkis, cetak_cli

INIT_FILES = {"ca.pem", "ca.key", "controller.pem", "controller.key", "admin.pem", "admin.key",
              "document-signer.pem", "document-signer.key"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_named_files_with_private_keys_0600(pkis: Pkis) -> None:
    names = {p.name for p in pkis.main.iterdir()}
    assert INIT_FILES <= names
    assert {"agent-lab-1.pem", "agent-lab-1.key", "operator-siti.pem", "operator-siti.key",
            "auditor-bpk.pem", "auditor-bpk.key"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    for path in pkis.main.iterdir():
        assert _mode(path) == (0o600 if path.suffix == ".key" else 0o644), path.name
    assert _mode(pkis.main) == 0o700


def test_key_mode_is_exact_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)  # a careless umask must not widen the key files
    try:
        issued = pki.init_pki(tmp_path / "p")
    finally:
        os.umask(old)
    assert all(_mode(i.key_path) == 0o600 for i in issued)
    assert _mode(tmp_path / "p") == 0o700


def test_refuses_to_overwrite_without_force(pkis: Pkis, tmp_path: Path) -> None:
    before = (pkis.main / "ca.key").read_bytes()
    with pytest.raises(PkiExistsError):
        pki.init_pki(pkis.main)
    with pytest.raises(PkiExistsError):
        pki.issue_agent(pkis.main, SITE, "lab-1")
    assert (pkis.main / "ca.key").read_bytes() == before

    fresh = tmp_path / "p"
    first = pki.init_pki(fresh)
    again = pki.init_pki(fresh, force=True)
    assert first[0].serial != again[0].serial
    assert _mode(fresh / "ca.key") == 0o600


def test_identities_encoded_in_certificates(pkis: Pkis) -> None:
    def ident(stem: str) -> Identity:
        return identity_from_certificate(pki.load_certificate(pkis.main / f"{stem}.pem"))

    assert ident("agent-lab-1") == Identity("lab-1", Role.AGENT, SITE)
    assert ident("operator-siti") == Identity("siti", Role.OPERATOR, SITE)
    assert ident("auditor-bpk") == Identity("bpk", Role.AUDITOR, None)
    assert ident("admin") == Identity("admin", Role.ADMIN, None)
    assert ident("controller").role is Role.CONTROLLER
    with pytest.raises(CertificateIdentityError):
        ident("document-signer")  # signs chip data, never a caller

    cert = pki.load_certificate(pkis.main / "agent-lab-1.pem")
    uris = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.UniformResourceIdentifier)
    assert sorted(uris) == ["urn:cetak:role:agent", f"urn:cetak:site:{SITE}"]
    assert cert.subject.rfc4514_string() == "CN=lab-1,OU=agent,O=cetak"


def test_certificates_chain_to_the_ca_with_distinct_serials(pkis: Pkis) -> None:
    ca = pki.load_certificate(pkis.main / "ca.pem")
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"
    serials = set()
    for path in pkis.main.glob("*.pem"):
        cert = pki.load_certificate(path)
        cert.verify_directly_issued_by(ca)
        assert cert.not_valid_after_utc <= ca.not_valid_after_utc
        serials.add(cert.serial_number)
    assert len(serials) == len(list(pkis.main.glob("*.pem")))


def test_controller_and_document_signer_usages(pkis: Pkis, tmp_path: Path) -> None:
    controller = pki.load_certificate(pkis.main / "controller.pem")
    san = controller.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    eku = controller.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]

    ds = pki.load_certificate(pkis.main / "document-signer.pem")
    usage = ds.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    ds_eku = list(ds.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ds_eku == [pki.DOCUMENT_SIGNING_EKU]

    pki.init_pki(tmp_path / "h", hosts=["ctl.dukcapil.example", "10.1.2.3", "localhost"])
    san = pki.load_certificate(tmp_path / "h" / "controller.pem").extensions \
        .get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "ctl.dukcapil.example"]
    with pytest.raises(PkiError):
        pki.init_pki(tmp_path / "bad", hosts=["not a host"])


@pytest.mark.parametrize("name, site", [("../evil", SITE), ("a b", SITE), ("", SITE),
                                        ("ok", "32/76"), ("ok", ""), ("ok", None)])
def test_bad_names_and_sites_refused(pkis: Pkis, name: str, site: str | None) -> None:
    with pytest.raises((PkiError, CertificateIdentityError)):
        pki.issue_client(pkis.main, Role.AGENT, name, site)


def test_auditor_names_no_site(pkis: Pkis) -> None:
    with pytest.raises(PkiError):
        pki.issue_client(pkis.main, Role.AUDITOR, "x", SITE)


def test_cli_init_and_issue(tmp_path: Path) -> None:
    d = str(tmp_path / "cli")
    done = cetak_cli("pki", "init", "--dir", d, "--host", "10.9.8.7", "--json")
    assert done.returncode == 0, done.stderr
    assert {Path(i["cert"]).name for i in json.loads(done.stdout)["issued"]} == {
        "ca.pem", "controller.pem", "admin.pem", "document-signer.pem"}
    done = cetak_cli("pki", "issue-operator", "--dir", d, "--site", SITE, "--name", "budi")
    assert done.returncode == 0, done.stderr
    assert _mode(tmp_path / "cli" / "operator-budi.key") == 0o600
    again = cetak_cli("pki", "init", "--dir", d)
    assert again.returncode == 2 and "--force" in again.stderr
    shown = cetak_cli("pki", "show", str(tmp_path / "cli" / "operator-budi.pem"), "--json")
    assert json.loads(shown.stdout)["actor"] == f"operator:budi@{SITE}"
