"""Images and archives: formats, sizes, dimensions, paths leaving their folder, zip bombs."""

from __future__ import annotations

import json
import os
import stat
import zipfile

import pytest

from cetak.prr.errors import ArchiveError, UnsafePath
from cetak.prr.media import safe_relative_path
from cetak.prr.schema import Limits
from cetak.prr.validate import validate_file
from tests.prr.prrdata import GOOD, TODAY, csv_text, jpeg, person, png, validate, write_zip


def _errors(result) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(e.field, e.reason) for e in result.errors]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty file"),
    (b"GIF89a" + b"\0" * 100, "not a JPEG or PNG"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 100, "not a readable JPEG"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not a readable PNG"),
    (jpeg(199, 300), "smaller than 200x250"),
    (jpeg(300, 249), "smaller than 200x250"),
])
def test_bad_photos(write_csv, folder, data: bytes, reason: str) -> None:
    (folder / "foto" / "bad.jpg").write_bytes(data)
    result = validate(write_csv([dict(GOOD, foto="foto/bad.jpg")]))
    assert [f for f, _ in _errors(result)] == ["foto"]
    assert reason in _errors(result)[0][1]


@pytest.mark.parametrize("data", [jpeg(200, 250), png(200, 250), jpeg(600, 800)])
def test_good_photos(write_csv, folder, data: bytes) -> None:
    (folder / "foto" / "ok.img").write_bytes(data)
    assert validate(write_csv([dict(GOOD, foto="foto/ok.img")])).valid == 1


def test_photo_over_2_mb(write_csv, folder) -> None:
    # A valid JPEG header followed by padding: the size check comes before any parsing.
    (folder / "foto" / "big.jpg").write_bytes(jpeg(300, 400) + b"\0" * (2 * 1024 * 1024))
    result = validate(write_csv([dict(GOOD, foto="foto/big.jpg")]))
    assert _errors(result) == [("foto", "larger than 2 MB")]


def test_pixel_bomb_is_refused_from_its_header(write_csv, folder) -> None:
    from PIL import Image

    # 20000x20000 declared, a few KB on disk: checked without decoding.
    path = folder / "foto" / "bomb.png"
    Image.new("1", (20000, 20000)).save(path, format="PNG")
    assert path.stat().st_size < 2 * 1024 * 1024
    result = validate_file(write_csv([dict(GOOD, foto="foto/bomb.png")]), today=TODAY,
                           limits=Limits(max_image_pixels=10_000_000))
    assert _errors(result) == [("foto", "too many pixels")]


def test_signature_rules(write_csv, folder) -> None:
    (folder / "ttd" / "small.jpg").write_bytes(jpeg(60, 20))           # no minimum size
    (folder / "ttd" / "big.png").write_bytes(png(10, 10) + b"\0" * (1024 * 1024))
    (folder / "ttd" / "txt.png").write_bytes(b"hello")
    rows = [person(1, tanda_tangan="ttd/small.jpg"), person(2, tanda_tangan="ttd/big.png"),
            person(3, tanda_tangan="ttd/txt.png")]
    result = validate(write_csv(rows))
    assert result.valid == 1
    assert _errors(result) == [("tanda_tangan", "larger than 1 MB"),
                               ("tanda_tangan", "not a JPEG or PNG file")]


@pytest.mark.parametrize(("path", "reason"), [
    ("/etc/passwd", "absolute"),
    ("C:\\foto\\a.jpg", "absolute"),
    ("\\\\server\\share\\a.jpg", "absolute"),
    ("../foto/p000.jpg", "leaves its folder"),
    ("foto/../../p000.jpg", "leaves its folder"),
    ("foto\\..\\..\\x.jpg", "leaves its folder"),
    ("foto/\x00.jpg", "control"),
    ("foto/\udcff.jpg", "control"),
    (".", "names no file"),
])
def test_unsafe_paths(path: str, reason: str) -> None:
    with pytest.raises(UnsafePath, match=reason):
        safe_relative_path(path)


def test_path_leaving_the_folder_is_invalid(write_csv, folder) -> None:
    outside = folder.parent / "outside.jpg"
    outside.write_bytes(jpeg(300, 400))
    rows = [person(1, foto="../outside.jpg"), person(2, foto=str(outside))]
    result = validate(write_csv(rows))
    assert [f for f, _ in _errors(result)] == ["foto", "foto"]


def test_symlink_is_invalid_even_inside(write_csv, folder) -> None:
    outside = folder.parent / "secret.jpg"
    outside.write_bytes(jpeg(300, 400))
    os.symlink(outside, folder / "foto" / "link.jpg")
    os.symlink(folder / "foto", folder / "fotolink")
    rows = [person(1, foto="foto/link.jpg"), person(2, foto="fotolink/p000.jpg")]
    result = validate(write_csv(rows))
    assert _errors(result) == [("foto", "path goes through a symbolic link")] * 2


def test_directory_is_not_a_photo(write_csv, folder) -> None:
    result = validate(write_csv([dict(GOOD, foto="foto")]))
    assert _errors(result) == [("foto", "file not found")]


# Archives -----------------------------------------------------------------------------------

def _zip(tmp_path, media, data_name="prr.csv", data=None, extra=None):  # noqa: ANN001, ANN202
    files = {data_name: data if data is not None else csv_text([GOOD, person(2)])}
    prefix = data_name.rpartition("/")[0]
    files.update({(f"{prefix}/{k}" if prefix else k): v for k, v in media.items()})
    files.update(extra or {})
    return write_zip(tmp_path / "prr.zip", files)


def test_zip_with_csv_and_images(tmp_path, media) -> None:
    result = validate(_zip(tmp_path, media))
    assert (result.format, result.valid, result.invalid) == ("csv", 2, 0)


def test_zip_images_relative_to_the_data_file(tmp_path, media) -> None:
    data = "\n".join(json.dumps(r) for r in (GOOD, person(2))) + "\n"
    result = validate(_zip(tmp_path, media, "export/prr.jsonl", data))
    assert (result.format, result.valid) == ("jsonl", 2)


def test_zip_record_paths_cannot_leave(tmp_path, media) -> None:
    data = csv_text([person(1, foto="../foto/p000.jpg"), person(2, foto="/foto/p000.jpg"),
                     person(3, foto="foto/missing.jpg")])
    result = validate(_zip(tmp_path, media, "export/prr.csv", data,
                           extra={"foto/p000.jpg": media["foto/p000.jpg"]}))
    assert [f for f, _ in _errors(result)] == ["foto"] * 3


def test_zip_symlink_member_is_invalid(tmp_path, media) -> None:
    path = _zip(tmp_path, media, data=csv_text([dict(GOOD, foto="foto/link.jpg")]))
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("foto/link.jpg")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert _errors(validate(path)) == [("foto", "path is a symbolic link")]


@pytest.mark.parametrize(("extra", "reason"), [
    ({"../evil.sh": b"x"}, "zip-slip"),
    ({"/abs/evil.sh": b"x"}, "zip-slip"),
    ({"foto/..\\..\\evil.sh": b"x"}, "zip-slip"),
    ({"other.jsonl": b"{}"}, "more than one"),
])
def test_hostile_archives_are_unusable(tmp_path, media, extra, reason) -> None:
    with pytest.raises(ArchiveError, match=reason):
        validate(_zip(tmp_path, media, extra=extra))


def test_archive_without_data_file(tmp_path, media) -> None:
    with pytest.raises(ArchiveError, match="no .csv"):
        validate(write_zip(tmp_path / "prr.zip", dict(media)))


def test_not_a_zip(tmp_path) -> None:
    (tmp_path / "prr.zip").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ArchiveError, match="not a readable"):
        validate(tmp_path / "prr.zip")


def test_zip_bomb_is_refused_before_expanding(tmp_path, media) -> None:
    bomb = csv_text([GOOD]) + "\n" * (64 * 1024 * 1024)  # 64 MB of newlines, ~64 KB deflated
    with pytest.raises(ArchiveError, match="zip bomb"):
        validate(_zip(tmp_path, media, data=bomb))


def test_archive_total_size_is_bounded(tmp_path, media) -> None:
    path = _zip(tmp_path, media)
    with pytest.raises(ArchiveError, match="expands beyond"):
        validate_file(path, today=TODAY, limits=Limits(max_archive_bytes=1000))


def test_corrupt_data_in_zip_is_unusable(tmp_path, media) -> None:
    from cetak.prr.errors import InputUnusable

    path = tmp_path / "prr.zip"
    data = csv_text([GOOD] + [person(i) for i in range(2, 200)]).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("prr.csv", data)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"Budi")
    raw[at + 500] ^= 0xFF  # still UTF-8 or not, the CRC no longer matches
    path.write_bytes(bytes(raw))
    with pytest.raises(InputUnusable):
        validate(path)


def test_only_stored_or_deflate(tmp_path, media) -> None:
    files = {"prr.csv": csv_text([GOOD]), **media}
    path = write_zip(tmp_path / "prr.zip", files, compression=zipfile.ZIP_LZMA)
    with pytest.raises(ArchiveError, match="compression"):
        validate(path)
