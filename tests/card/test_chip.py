import json

import pytest
from synth import depok_record

from cetak.card import chip
from cetak.card.chip import (
    DocumentSigner,
    build_chip_data,
    demographics,
    generate_signer,
    load_signer,
    verify_chip_data,
)
from cetak.card.errors import CardError, ChipDataError, PhotoError
from cetak.cli import main


@pytest.fixture(scope="module")
def signer_files(tmp_path_factory):
    return generate_signer(tmp_path_factory.mktemp("dinas"), "Dinas Dukcapil Depok DS 1")


@pytest.fixture(scope="module")
def signer(signer_files):
    return load_signer(*signer_files)


@pytest.fixture(scope="module")
def cert_pem(signer_files):
    return signer_files[1].read_bytes()


@pytest.fixture(scope="module")
def chip_data(signer):
    return build_chip_data(depok_record(), signer)


def test_signer_files(signer_files):
    key_path, cert_path = signer_files
    assert key_path.stat().st_mode & 0o077 == 0
    assert b"BEGIN CERTIFICATE" in cert_path.read_bytes()


def test_round_trip_verifies(chip_data, cert_pem):
    report = verify_chip_data(chip_data, cert_pem)
    assert report.ok, report.problems
    assert report.signature_ok
    assert [g.name for g in report.groups] == ["DG1", "DG2", "DG7"]
    assert all(g.hash_ok for g in report.groups)
    assert "Dinas Dukcapil Depok" in (report.signer or "")


def test_demographics_hold_the_record(chip_data):
    fields = demographics(chip_data)
    assert fields["nik"] == "3276011708900001"
    assert fields["nama"] == "SITI NURHALIZA PUTRI"
    assert fields["tanggal_lahir"] == "1990-08-17"
    assert fields["berlaku_hingga"] == "SEUMUR HIDUP"


def test_face_image_is_small_jpeg(chip_data):
    face = chip.image(chip_data)
    assert face.format == "JPEG" and face.size == chip.FACE_SIZE


def test_without_signature_there_is_no_dg7(signer, cert_pem):
    data = build_chip_data(depok_record(tanda_tangan=b""), signer)
    report = verify_chip_data(data, cert_pem)
    assert report.ok and [g.name for g in report.groups] == ["DG1", "DG2"]


def test_every_single_byte_change_is_detected(chip_data, cert_pem):
    # Every position would take minutes; a stride through the whole file covers every
    # structure (tags, lengths, values of each group, the SOD, certificate, signature).
    for position in list(range(0, len(chip_data), 97)) + [len(chip_data) - 1]:
        tampered = bytearray(chip_data)
        tampered[position] ^= 0x01
        assert not verify_chip_data(bytes(tampered), cert_pem).ok, position


def test_truncated_and_garbage_files_fail(chip_data, cert_pem):
    for data in (chip_data[:-1], chip_data + b"\x00", b"", b"\xff\xff\xff"):
        report = verify_chip_data(data, cert_pem)
        assert not report.ok and report.problems


def test_other_signer_fails(chip_data, tmp_path):
    _, other_cert = generate_signer(tmp_path, "Somebody Else")
    report = verify_chip_data(chip_data, other_cert.read_bytes())
    assert not report.ok


def test_ca_mode_checks_the_embedded_certificate(chip_data, cert_pem, tmp_path):
    assert verify_chip_data(chip_data, ca_certificate_pem=cert_pem).ok  # self-signed: own CA
    _, other = generate_signer(tmp_path, "Other CA")
    assert not verify_chip_data(chip_data, ca_certificate_pem=other.read_bytes()).ok
    assert not verify_chip_data(chip_data).ok                  # no trust anchor at all


def test_signer_key_must_match_certificate(signer, tmp_path):
    other = load_signer(*generate_signer(tmp_path, "Other"))
    with pytest.raises(ChipDataError):
        DocumentSigner(signer.private_key, other.certificate)


def test_missing_photo_is_refused(signer):
    with pytest.raises(PhotoError) as info:
        build_chip_data(depok_record(foto=b""), signer)
    assert isinstance(info.value, CardError) and info.value.field == "foto"


def test_cli_verify_ok_and_tampered(chip_data, signer_files, tmp_path, capsys):
    _, cert_path = signer_files
    good = tmp_path / "rec-0001.chip"
    good.write_bytes(chip_data)
    assert main(["chip", "verify", str(good), "--cert", str(cert_path)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["chip", "verify", str(good), "--ca", str(cert_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True

    tampered = bytearray(chip_data)
    tampered[len(tampered) // 3] ^= 0xFF
    bad = tmp_path / "bad.chip"
    bad.write_bytes(bytes(tampered))
    assert main(["chip", "verify", str(bad), "--cert", str(cert_path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["problems"]
    assert "SITI" not in json.dumps(report)


def test_cli_verify_unusable(tmp_path, signer_files, capsys):
    _, cert_path = signer_files
    assert main(["chip", "verify", str(tmp_path / "none.chip"), "--cert", str(cert_path)]) == 2
    (tmp_path / "x.chip").write_bytes(b"\x00")
    assert main(["chip", "verify", str(tmp_path / "x.chip")]) == 2
