"""Certificate revocation: `cetak pki revoke` writes a CA-signed crl.pem; Revocations reads it,
refuses a list the CA did not sign, and follows later changes without a restart."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from cetak.security import pki
from cetak.security.errors import PkiError
from cetak.security.identity import identity_from_certificate
from cetak.security.revocation import Revocations, crl_path, revoke, revoked_list

from .conftest import SITE, cetak_cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    main = tmp_path / "pki"
    pki.init_pki(main)
    pki.issue_agent(main, SITE, "lab-1")
    pki.issue_operator(main, SITE, "siti")
    return main


def _serial(path: Path) -> int:
    return pki.load_certificate(path).serial_number


def test_revoke_lists_the_serial_and_the_controller_view_follows(folder: Path) -> None:
    agent, operator = folder / "agent-lab-1.pem", folder / "operator-siti.pem"
    view = Revocations(folder, recheck_s=0)
    assert not view.is_revoked(_serial(agent))  # no crl.pem yet: nobody revoked
    entry = revoke(folder, agent, "key_compromise")
    assert entry.serial == _serial(agent) and entry.reason == "key_compromise"
    assert view.is_revoked(_serial(agent)) and not view.is_revoked(_serial(operator))
    again = revoke(folder, agent, "superseded")  # revoking twice keeps the first entry
    assert (again.serial, again.reason) == (entry.serial, "key_compromise")
    revoke(folder, operator, "affiliation_changed")
    assert [(e.serial, e.reason) for e in revoked_list(folder)] == [
        (_serial(agent), "key_compromise"), (_serial(operator), "affiliation_changed")]
    assert view.is_revoked(_serial(operator))
    # The identity carries the serial the controller checks.
    assert identity_from_certificate(pki.load_certificate(agent)).serial == _serial(agent)


def test_only_this_cas_certificates_and_lists_are_accepted(folder: Path, tmp_path: Path
                                                            ) -> None:
    foreign = tmp_path / "foreign"
    pki.init_pki(foreign)
    pki.issue_agent(foreign, SITE, "lab-1")
    with pytest.raises(PkiError, match="not issued by this PKI's CA"):
        revoke(folder, foreign / "agent-lab-1.pem")
    with pytest.raises(PkiError, match="CA itself"):
        revoke(folder, folder / "ca.pem")
    with pytest.raises(PkiError, match="unknown reason"):
        revoke(folder, folder / "agent-lab-1.pem", "lost")
    assert not crl_path(folder).exists()  # nothing written by a refusal

    # A list signed by another CA, dropped into the folder, is refused at start ...
    revoke(foreign, foreign / "agent-lab-1.pem")
    shutil.copy(crl_path(foreign), crl_path(folder))
    with pytest.raises(PkiError, match="not signed by this PKI's CA"):
        Revocations(folder)
    crl_path(folder).write_bytes(b"-----BEGIN X509 CRL-----\ngarbage\n-----END X509 CRL-----\n")
    with pytest.raises(PkiError, match="not a PEM certificate revocation list"):
        Revocations(folder)


def test_a_bad_list_later_keeps_the_previous_one(folder: Path) -> None:
    agent = folder / "agent-lab-1.pem"
    revoke(folder, agent)
    view = Revocations(folder, recheck_s=0)
    assert view.is_revoked(_serial(agent))
    good = crl_path(folder).read_bytes()
    crl_path(folder).write_bytes(good.replace(b"MI", b"Mi", 1))  # tampered
    time.sleep(0.01)
    assert view.is_revoked(_serial(agent))  # still refused: the tampered list is not used


def test_cli_revoke_and_list(folder: Path) -> None:
    done = cetak_cli("pki", "revoke", "--dir", str(folder), str(folder / "operator-siti.pem"),
                     "--reason", "affiliation_changed", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["serial"] == f"{_serial(folder / 'operator-siti.pem'):x}"
    listed = cetak_cli("pki", "revoked", "--dir", str(folder), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["serial"] for r in json.loads(listed.stdout)["revoked"]] == [out["serial"]]
    refused = cetak_cli("pki", "revoke", "--dir", str(folder), str(folder / "nope.pem"))
    assert refused.returncode == 2 and "nope.pem" in refused.stderr
