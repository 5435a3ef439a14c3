"""Chip data: BER-TLV data groups and a signed security object (layout in card/CHIP.md).

The TLV bytes come from the native core (`cetak.native.tlv`); signing and verification use
`cryptography` (ECDSA P-256 with SHA-256) with the Dinas document-signer key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from PIL import Image

from cetak.card import photo as photo_mod
from cetak.card.errors import ChipDataError
from cetak.card.fields import Record, clean, parse_date
from cetak.native import tlv

# Top-level tags, as ICAO 9303 LDS uses them (all constructed).
TAG_DG1 = 0x61          # demographics
TAG_DG2 = 0x75          # face image
TAG_DG7 = 0x67          # signature image
TAG_SOD = 0x77          # security object
GROUPS = {TAG_DG1: ("DG1", 1), TAG_DG2: ("DG2", 2), TAG_DG7: ("DG7", 7)}

# Inside DG2/DG7.
TAG_IMAGE_TYPE = 0x80
TAG_IMAGE_DATA = 0x81

# Inside the security object.
TAG_SIGNED = 0x30           # the signed content, a SEQUENCE
TAG_VERSION = 0x80
TAG_DIGEST_ALG = 0x81
TAG_CERT_HASH = 0x82        # SHA-256 of the signer certificate (as CMS signingCertificateV2)
TAG_HASHES = 0xA3
TAG_HASH_ENTRY = 0x30
TAG_DG_NUMBER = 0x80
TAG_DG_HASH = 0x81
TAG_SIG_ALG = 0x84
TAG_CERT = 0x85
TAG_SIGNATURE = 0x86

SOD_VERSION = b"\x01"
OID_SHA256 = bytes.fromhex("608648016503040201")        # 2.16.840.1.101.3.4.2.1
OID_ECDSA_SHA256 = bytes.fromhex("2a8648ce3d040302")     # 1.2.840.10045.4.3.2

# DG1 children: context-specific primitive tags, in this order. "berlaku_hingga" is fixed.
DG1_FIELDS: tuple[tuple[int, str], ...] = (
    (0x80, "nik"), (0x81, "nama"), (0x82, "tempat_lahir"), (0x83, "tanggal_lahir"),
    (0x84, "jenis_kelamin"), (0x85, "golongan_darah"), (0x86, "alamat"), (0x87, "rt"),
    (0x88, "rw"), (0x89, "kelurahan_kode"), (0x8A, "kelurahan"), (0x8B, "kecamatan"),
    (0x8C, "kabupaten_kota"), (0x8D, "provinsi"), (0x8E, "agama"),
    (0x8F, "status_perkawinan"), (0x90, "pekerjaan"), (0x91, "kewarganegaraan"),
    (0x92, "issue_city"), (0x93, "issue_date"), (0x94, "berlaku_hingga"),
)
OPTIONAL_DG1 = {"golongan_darah"}
BERLAKU_HINGGA = "SEUMUR HIDUP"

FACE_SIZE = (240, 320)          # 3:4 portrait, enough for a visual check at the counter
FACE_MAX_BYTES = 24 * 1024      # keeps the chip file small (chip memory is tens of KB)
SIGNATURE_BOX = (300, 120)


@dataclass(frozen=True)
class DocumentSigner:
    """The Dinas document-signer: an ECDSA P-256 key and its certificate."""

    private_key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, ec.EllipticCurvePrivateKey) or not isinstance(
                self.private_key.curve, ec.SECP256R1):
            raise ChipDataError("document-signer key must be ECDSA P-256")
        public = self.certificate.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey) or (
                public.public_numbers() != self.private_key.public_key().public_numbers()):
            raise ChipDataError("document-signer key does not match its certificate")

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data, _ecdsa())


def _ecdsa() -> ec.ECDSA:
    # Deterministic (RFC 6979) where cryptography supports it: a re-encoded card carries
    # the same bytes; older versions fall back to random nonces, equally valid.
    try:
        return ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:
        return ec.ECDSA(hashes.SHA256())


def load_signer(key_path: str | Path, cert_path: str | Path) -> DocumentSigner:
    """Load a PEM private key (unencrypted PKCS#8 or SEC1) and its PEM certificate."""
    try:
        key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise ChipDataError(f"cannot load document-signer key or certificate: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ChipDataError("document-signer key must be ECDSA P-256")
    return DocumentSigner(key, cert)


def generate_signer(out_dir: str | Path, common_name: str) -> tuple[Path, Path]:
    """A fresh self-signed P-256 document-signer for tests and the demo: (key_path, cert_path)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cetak"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3 * 365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = out / "document-signer.key", out / "document-signer.crt"
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # The private key is created owner-only; it must never be world-readable, even briefly.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


# ---------------------------------------------------------------- building

def build_chip_data(record: Record, signer: DocumentSigner) -> bytes:
    """The chip file for a record: DG1, DG2, DG7 (when there is a signature) and the SOD.

    Raises FieldInvalid / PhotoError naming a field, or ChipDataError.
    """
    groups = [_dg1(record), _image_group(TAG_DG2, "image/jpeg", _face_jpeg(record))]
    signature = bytes(getattr(record, "tanda_tangan", b"") or b"")
    if signature:
        groups.append(_image_group(TAG_DG7, "image/png", _signature_png(signature)))
    entries = tuple(
        tlv.Tlv(TAG_HASH_ENTRY, (tlv.Tlv(TAG_DG_NUMBER, bytes([GROUPS[g.tag][1]])),
                                 tlv.Tlv(TAG_DG_HASH, hashlib.sha256(_encode(g)).digest())))
        for g in groups)
    cert_der = signer.certificate.public_bytes(serialization.Encoding.DER)
    signed = tlv.Tlv(TAG_SIGNED, (tlv.Tlv(TAG_VERSION, SOD_VERSION),
                                  tlv.Tlv(TAG_DIGEST_ALG, OID_SHA256),
                                  tlv.Tlv(TAG_CERT_HASH, hashlib.sha256(cert_der).digest()),
                                  tlv.Tlv(TAG_HASHES, entries)))
    sod = tlv.Tlv(TAG_SOD, (
        signed,
        tlv.Tlv(TAG_SIG_ALG, OID_ECDSA_SHA256),
        tlv.Tlv(TAG_CERT, cert_der),
        tlv.Tlv(TAG_SIGNATURE, signer.sign(_encode(signed))),
    ))
    return _encode(*groups, sod)


def _encode(*nodes: tlv.Tlv) -> bytes:
    try:
        return bytes(tlv.encode(nodes))
    except tlv.TlvError as exc:
        raise ChipDataError(f"TLV encoding failed: {exc}") from exc


def _dg1(record: Record) -> tlv.Tlv:
    children = []
    for tag, name in DG1_FIELDS:
        if name == "berlaku_hingga":
            value = BERLAKU_HINGGA
        elif name in ("tanggal_lahir", "issue_date"):
            value = parse_date(record, name).isoformat()
        else:
            value = clean(record, name, required=name not in OPTIONAL_DG1)
            if name == "golongan_darah":
                value = value or "-"
        children.append(tlv.Tlv(tag, value.encode("utf-8")))
    return tlv.Tlv(TAG_DG1, tuple(children))


def _image_group(tag: int, mime: str, data: bytes) -> tlv.Tlv:
    return tlv.Tlv(tag, (tlv.Tlv(TAG_IMAGE_TYPE, mime.encode("ascii")),
                         tlv.Tlv(TAG_IMAGE_DATA, data)))


def _face_jpeg(record: Record) -> bytes:
    image = photo_mod.cover(photo_mod.decode(bytes(record.foto), "foto"), FACE_SIZE)
    for quality in (80, 70, 60, 50, 40):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, subsampling=2, optimize=False)
        if out.tell() <= FACE_MAX_BYTES:
            return out.getvalue()
    raise ChipDataError("face image does not compress into the chip's budget")


def _signature_png(data: bytes) -> bytes:
    image = photo_mod.ink_crop(photo_mod.decode(data, "tanda_tangan"), "tanda_tangan")
    scaled, _ = photo_mod.contain(image, SIGNATURE_BOX)
    bilevel = scaled.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1")
    out = io.BytesIO()
    bilevel.save(out, "PNG", optimize=True)
    return out.getvalue()


# ---------------------------------------------------------------- verifying

@dataclass(frozen=True)
class GroupReport:
    name: str            # "DG1", "DG2", "DG7"
    tag: int
    size: int            # bytes of the group's whole TLV
    hash_ok: bool


@dataclass
class ChipReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    groups: list[GroupReport] = field(default_factory=list)
    signature_ok: bool = False
    signer: str | None = None        # the signer certificate's subject

    def as_json(self) -> dict:
        return {"ok": self.ok, "problems": list(self.problems), "signature_ok": self.signature_ok,
                "signer": self.signer,
                "groups": [{"name": g.name, "tag": f"0x{g.tag:02X}", "size": g.size,
                            "hash_ok": g.hash_ok} for g in self.groups]}


def verify_chip_data(data: bytes, signer_certificate_pem: bytes | None = None, *,
                     ca_certificate_pem: bytes | None = None) -> ChipReport:
    """Check every data group's hash and the SOD signature.

    Trust comes from `signer_certificate_pem` (the document-signer certificate; an embedded
    certificate must be the same one) or from `ca_certificate_pem` (the embedded certificate
    must be issued by it). With neither, nothing can be trusted and the report fails.
    """
    report = ChipReport(ok=False)
    try:
        nodes = tuple(tlv.decode(bytes(data)))
    except tlv.TlvError as exc:
        report.problems.append(f"not valid BER-TLV: {exc}")
        return report
    if _encode(*nodes) != bytes(data):
        report.problems.append("encoding is not canonical: bytes differ from their decoding")
    groups: dict[int, tlv.Tlv] = {}
    sods = []
    for node in nodes:
        if node.tag == TAG_SOD:
            sods.append(node)
        elif node.tag in GROUPS and node.tag not in groups:
            groups[node.tag] = node
        else:
            report.problems.append(f"unexpected or repeated element tag 0x{node.tag:X}")
    for required in (TAG_DG1, TAG_DG2):
        if required not in groups:
            report.problems.append(f"{GROUPS[required][0]} missing")
    if len(sods) != 1:
        report.problems.append("security object missing or repeated")
        return report
    try:
        sod = _parse_sod(sods[0])
    except ChipDataError as exc:
        report.problems.append(f"security object malformed: {exc}")
        return report
    _check_hashes(report, groups, sod.hashes)
    certificate = _trusted_certificate(report, sod.certificate, signer_certificate_pem,
                                       ca_certificate_pem)
    if certificate is not None:
        report.signer = certificate.subject.rfc4514_string()
        # The signed content names its certificate: a signature stays bound to one
        # certificate's exact bytes, even where DER parsers tolerate variants.
        cert_der = certificate.public_bytes(serialization.Encoding.DER)
        if hashlib.sha256(cert_der).digest() != sod.cert_hash:
            report.problems.append("certificate is not the one the security object names")
        report.signature_ok = _signature_ok(certificate, sod.signature, _encode(sod.signed))
        if not report.signature_ok:
            report.problems.append("security object signature does not verify")
    report.ok = not report.problems
    return report


@dataclass(frozen=True)
class _Sod:
    signed: tlv.Tlv
    hashes: dict[int, bytes]
    cert_hash: bytes
    certificate: bytes | None
    signature: bytes


def _children(node: tlv.Tlv, what: str) -> dict[int, tlv.Tlv]:
    if not isinstance(node.value, tuple):
        raise ChipDataError(f"{what} is not constructed")
    out: dict[int, tlv.Tlv] = {}
    for child in node.value:
        if child.tag in out:
            raise ChipDataError(f"{what} repeats tag 0x{child.tag:X}")
        out[child.tag] = child
    return out


def _primitive(children: dict[int, tlv.Tlv], tag: int, what: str) -> bytes:
    node = children.get(tag)
    if node is None or isinstance(node.value, tuple):
        raise ChipDataError(f"{what} missing")
    return bytes(node.value)


def _parse_sod(node: tlv.Tlv) -> _Sod:
    top = _children(node, "security object")
    # Only the signed content is covered by the signature: nothing else may ride along.
    unknown = set(top) - {TAG_SIGNED, TAG_SIG_ALG, TAG_CERT, TAG_SIGNATURE}
    if unknown:
        raise ChipDataError(f"unexpected tag 0x{min(unknown):X}")
    if _primitive(top, TAG_SIG_ALG, "signature algorithm") != OID_ECDSA_SHA256:
        raise ChipDataError("signature algorithm is not ecdsa-with-SHA256")
    signed = top.get(TAG_SIGNED)
    if signed is None:
        raise ChipDataError("signed content missing")
    content = _children(signed, "signed content")
    if set(content) != {TAG_VERSION, TAG_DIGEST_ALG, TAG_CERT_HASH, TAG_HASHES}:
        raise ChipDataError("signed content has missing or unexpected elements")
    if _primitive(content, TAG_VERSION, "version") != SOD_VERSION:
        raise ChipDataError("unsupported version")
    if _primitive(content, TAG_DIGEST_ALG, "digest algorithm") != OID_SHA256:
        raise ChipDataError("digest algorithm is not SHA-256")
    hashes_node = content.get(TAG_HASHES)
    if hashes_node is None or not isinstance(hashes_node.value, tuple):
        raise ChipDataError("hash list missing")
    found: dict[int, bytes] = {}
    for entry in hashes_node.value:
        fields = _children(entry, "hash entry")
        if entry.tag != TAG_HASH_ENTRY or set(fields) != {TAG_DG_NUMBER, TAG_DG_HASH}:
            raise ChipDataError("bad hash entry")
        number = _primitive(fields, TAG_DG_NUMBER, "data group number")
        digest = _primitive(fields, TAG_DG_HASH, "data group hash")
        if len(number) != 1 or len(digest) != 32 or number[0] in found:
            raise ChipDataError("bad hash entry")
        found[number[0]] = digest
    cert = top.get(TAG_CERT)
    cert_hash = _primitive(content, TAG_CERT_HASH, "certificate hash")
    if len(cert_hash) != 32:
        raise ChipDataError("bad certificate hash")
    return _Sod(signed=signed, hashes=found, cert_hash=cert_hash,
                certificate=bytes(cert.value) if cert and not isinstance(cert.value, tuple)
                else None,
                signature=_primitive(top, TAG_SIGNATURE, "signature"))


def _check_hashes(report: ChipReport, groups: dict[int, tlv.Tlv],
                  hashes: dict[int, bytes]) -> None:
    by_number = {number: tag for tag, (_, number) in GROUPS.items()}
    for number in sorted(hashes):
        if number not in by_number or by_number[number] not in groups:
            report.problems.append(f"DG{number} is listed in the security object but absent")
    for tag, node in groups.items():
        name, number = GROUPS[tag]
        encoded = _encode(node)
        ok = hashes.get(number) == hashlib.sha256(encoded).digest()
        report.groups.append(GroupReport(name=name, tag=tag, size=len(encoded), hash_ok=ok))
        if number not in hashes:
            report.problems.append(f"{name} is not listed in the security object")
        elif not ok:
            report.problems.append(f"{name} hash does not match")


def _trusted_certificate(report: ChipReport, embedded_der: bytes | None,
                         signer_pem: bytes | None, ca_pem: bytes | None) -> x509.Certificate | None:
    try:
        with warnings.catch_warnings():
            # A tampered certificate may parse with a deprecation warning (negative serial);
            # it fails the checks below all the same, so the warning is only noise.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            embedded = x509.load_der_x509_certificate(embedded_der) if embedded_der else None
    except (ValueError, x509.InvalidVersion):
        report.problems.append("embedded certificate is malformed")
        return None
    if signer_pem is not None:
        try:
            signer = x509.load_pem_x509_certificate(signer_pem)
        except (ValueError, x509.InvalidVersion):
            report.problems.append("signer certificate is not a PEM certificate")
            return None
        if embedded is not None and embedded != signer:
            report.problems.append("embedded certificate is not the given signer certificate")
            return None
        return signer
    if ca_pem is not None and embedded is not None:
        try:
            ca = x509.load_pem_x509_certificate(ca_pem)
            embedded.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature, x509.InvalidVersion):
            report.problems.append("embedded certificate is not issued by the given CA")
            return None
        return embedded
    report.problems.append("no trusted certificate: give the signer certificate or a CA "
                           "(with a certificate embedded in the chip data)")
    return None


def _signature_ok(certificate: x509.Certificate, signature: bytes, content: bytes) -> bool:
    public = certificate.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve,
                                                                            ec.SECP256R1):
        return False
    try:
        public.verify(signature, content, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _top_level(data: bytes) -> tuple[tlv.Tlv, ...]:
    try:
        return tuple(tlv.decode(bytes(data)))
    except tlv.TlvError as exc:
        raise ChipDataError(f"not valid BER-TLV: {exc}") from exc


def demographics(data: bytes) -> dict[str, str]:
    """DG1's fields by name (for tests and tools; unverified: call verify_chip_data first)."""
    names = dict(DG1_FIELDS)
    for node in _top_level(data):
        if node.tag == TAG_DG1 and isinstance(node.value, tuple):
            try:
                return {names[c.tag]: bytes(c.value).decode("utf-8") for c in node.value
                        if c.tag in names and not isinstance(c.value, tuple)}
            except UnicodeDecodeError as exc:
                raise ChipDataError("DG1 holds text that is not UTF-8") from exc
    raise ChipDataError("DG1 missing")


def image(data: bytes, tag: int = TAG_DG2) -> Image.Image:
    """The face (DG2) or signature (DG7) image stored on the chip (unverified)."""
    for node in _top_level(data):
        if node.tag == tag and isinstance(node.value, tuple):
            stored = _primitive(_children(node, "image group"), TAG_IMAGE_DATA, "image data")
            try:
                return Image.open(io.BytesIO(stored), formats=("JPEG", "PNG"))
            except OSError as exc:
                raise ChipDataError("stored image cannot be read") from exc
    raise ChipDataError("image group missing")
