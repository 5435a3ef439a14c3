"""Synthetic but valid PRR records for Depok kelurahan: the demo, tests and the import bench.

Deterministic from a seed. Names come from Faker's id_ID name lists (read once, then drawn
with our own seeded `random.Random`: calling Faker per record would take a minute for a
million). A handful of generated photos and signatures are shared by path, so a million
records need a few kilobytes of images, not a million files.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import os
import random
from collections.abc import Iterator, Sequence
from pathlib import Path

from cetak.prr import nik as nikrules
from cetak.prr import schema
from cetak.prr.media import MemoryMedia
from cetak.prr.record import PrrRecord
from cetak.prr.regions import Kelurahan, depok_kelurahan, load_regions

# Birth dates are drawn relative to this date, not today, so a seed gives the same file on
# every day (and no date is ever in the future).
AS_OF = dt.date(2025, 1, 1)
PHOTO_SIZE = (240, 320)
SIGNATURE_SIZE = (300, 100)

_PEKERJAAN_MUDA = ("PELAJAR/MAHASISWA",) * 6 + ("BELUM/TIDAK BEKERJA", "KARYAWAN SWASTA")
_PEKERJAAN = ("KARYAWAN SWASTA", "WIRASWASTA", "MENGURUS RUMAH TANGGA", "PEDAGANG",
              "PEGAWAI NEGERI SIPIL", "BURUH HARIAN LEPAS", "GURU", "SOPIR", "PENSIUNAN",
              "PELAJAR/MAHASISWA", "PERAWAT", "TNI", "KEPOLISIAN RI", "PETANI/PEKEBUN")
_AGAMA = (("ISLAM", 85), ("KRISTEN", 7), ("KATOLIK", 3), ("HINDU", 2), ("BUDDHA", 2),
          ("KONGHUCU", 1), ("KEPERCAYAAN TERHADAP TUHAN YME", 1))
_ALASAN = (("RUSAK", 40), ("HILANG", 25), ("PINDAH", 20), ("PERUBAHAN_DATA", 15))
_GOLDAR = (("-", 40), ("O", 22), ("A", 15), ("B", 17), ("AB", 6))


@functools.cache
def _pools() -> dict[str, tuple[str, ...]]:
    from faker.providers.address.id_ID import Provider as Address
    from faker.providers.person.id_ID import Provider as Person

    from cetak.prr.text import name_problem

    def names(values: Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted({v.upper() for v in values if name_problem(v, 30) is None}))

    return {
        "male": names(Person.first_names_male),
        "female": names(Person.first_names_female),
        "last_male": names(Person.last_names_male),
        "last_female": names(Person.last_names_female),
        "cities": names(list(Address.cities) + ["Depok"] * 20 + ["Jakarta"] * 10),
        "streets": tuple(sorted(Address.streets)),
    }


def _weighted(pairs: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    return tuple(v for v, w in pairs for _ in range(w))


def default_sites() -> list[str]:
    """Every Depok kelurahan code (the demo's 63 sites)."""
    return [k.code for k in depok_kelurahan()]


def synthetic_rows(count: int, *, sites: Sequence[str] | None = None, seed: int = 0,
                   photo_count: int = 8, signature_count: int = 4,
                   as_of: dt.date = AS_OF) -> Iterator[dict[str, str]]:
    """`count` rows of field values (all PRR fields); photos are "foto/pNNN.jpg", signatures
    "ttd/sNNN.png" (about 60% of records), as written by `write_photos`."""
    table = load_regions()
    site_list = [_site(table, code) for code in (sites or default_sites())]
    rng = random.Random(seed)
    pools = _pools()
    agama, alasan, goldar = _weighted(_AGAMA), _weighted(_ALASAN), _weighted(_GOLDAR)
    serials: dict[str, int] = {}
    seen_people: set[int] = set()
    choice, randint, rand = rng.choice, rng.randint, rng.random
    for n in range(count):
        # Round robin: every site gets an equal share, so a demo's sites finish together.
        site = site_list[n % len(site_list)]
        female = rand() < 0.5
        baru = rand() < 0.7  # about the 35,000 / 15,000 split of the 2019 Depok drive
        age_days = randint(17 * 365 + 5, 19 * 365) if baru else randint(19 * 365, 75 * 365)
        birth = as_of - dt.timedelta(days=age_days)
        while True:
            first = pools["female" if female else "male"]
            last = pools["last_female" if female else "last_male"]
            parts = [choice(first)] + ([choice(first)] if rand() < 0.5 else []) + [choice(last)]
            nama = " ".join(parts)
            person = hash((nama, birth))
            if person not in seen_people:  # never a possible duplicate person by accident
                seen_people.add(person)
                break
        prefix = site.kecamatan_code.replace(".", "") + nikrules.birth_code(birth, female)
        serial = serials.get(prefix, 0) + 1
        serials[prefix] = serial
        if serial > 9999:
            raise ValueError("too many synthetic records for one kecamatan and birth date")
        kawin = "BELUM KAWIN" if baru or rand() < 0.2 else choice(
            ("KAWIN", "KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"))
        yield {
            "nik": f"{prefix}{serial:04d}",
            "nama": nama,
            "tempat_lahir": choice(pools["cities"]),
            "tanggal_lahir": birth.isoformat(),
            "jenis_kelamin": "PEREMPUAN" if female else "LAKI-LAKI",
            "golongan_darah": choice(goldar),
            "alamat": f"{choice(('JL.', 'GG.', 'JALAN'))} {choice(pools['streets']).upper()}"
                      f" NO. {randint(1, 150)}",
            "rt": str(randint(1, 15)).zfill(choice((1, 3))),
            "rw": str(randint(1, 12)).zfill(choice((1, 3))),
            "kelurahan_kode": site.code,
            "agama": choice(agama),
            "status_perkawinan": kawin,
            "pekerjaan": choice(_PEKERJAAN_MUDA if baru else _PEKERJAAN),
            "kewarganegaraan": "WNI",
            "kategori": "BARU" if baru else "PENGGANTIAN",
            "alasan": "" if baru else choice(alasan),
            "status": "PRR",
            "foto": f"foto/p{randint(0, photo_count - 1):03d}.jpg",
            "tanda_tangan": (f"ttd/s{randint(0, signature_count - 1):03d}.png"
                             if signature_count and rand() < 0.6 else ""),
        }


def _site(table: object, code: str) -> Kelurahan:
    from cetak.prr.regions import RegionTable

    assert isinstance(table, RegionTable)
    kel = table.kelurahan(code)
    if kel is None:
        raise ValueError(f"not an existing kelurahan code: {code!r}")
    return kel


def make_photo(seed: int, variant: int) -> bytes:
    """A small JPEG head-and-shoulders drawing (240x320), the same bytes for the same input."""
    from PIL import Image, ImageDraw

    rng = random.Random(f"photo-{seed}-{variant}")
    w, h = PHOTO_SIZE
    background = rng.choice(((200, 30, 30), (30, 70, 170)))  # e-KTP photos: red or blue
    skin = rng.choice(((224, 172, 105), (198, 134, 66), (141, 85, 36), (241, 194, 125)))
    shirt = tuple(rng.randint(20, 235) for _ in range(3))
    hair = rng.choice(((20, 20, 20), (60, 40, 30), (90, 60, 40)))
    img = Image.new("RGB", (w, h), background)
    draw = ImageDraw.Draw(img)
    draw.ellipse((20, 235, 220, 420), fill=shirt)                       # shoulders
    draw.rectangle((100, 190, 140, 250), fill=skin)                     # neck
    top = rng.randint(55, 75)
    draw.ellipse((65, top, 175, top + 140), fill=skin)                  # face
    if rng.random() < 0.5:
        draw.chord((60, top - 12, 180, top + 90), 180, 360, fill=hair)  # short hair
    else:
        draw.chord((55, top - 15, 185, top + 150), 150, 390, fill=hair)  # hijab / long hair
        draw.ellipse((75, top + 20, 165, top + 140), fill=skin)
    eye_y = top + 60
    for x in (95, 135):
        draw.ellipse((x, eye_y, x + 10, eye_y + 7), fill=(30, 30, 30))
    draw.arc((100, top + 85, 140, top + 110), 20, 160, fill=(120, 40, 40), width=3)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()


def make_signature(seed: int, variant: int) -> bytes:
    """A small black-on-white PNG scribble (300x100), deterministic."""
    from PIL import Image, ImageDraw

    rng = random.Random(f"ttd-{seed}-{variant}")
    img = Image.new("L", SIGNATURE_SIZE, 255)
    draw = ImageDraw.Draw(img)
    x, y = 20, 60
    points = [(x, y)]
    while x < 270:
        x += rng.randint(8, 25)
        y = max(10, min(90, y + rng.randint(-30, 30)))
        points.append((x, y))
    draw.line(points, fill=0, width=3, joint="curve")
    out = io.BytesIO()
    img.convert("1").save(out, format="PNG", optimize=True)
    return out.getvalue()


def media_files(seed: int = 0, photo_count: int = 8,
                signature_count: int = 4) -> dict[str, bytes]:
    """The images `synthetic_rows` refers to, by relative path."""
    files = {f"foto/p{i:03d}.jpg": make_photo(seed, i) for i in range(photo_count)}
    files.update({f"ttd/s{i:03d}.png": make_signature(seed, i) for i in range(signature_count)})
    return files


def generate_records(count: int, *, sites: Sequence[str] | None = None, seed: int = 0,
                     photo_count: int = 8, signature_count: int = 4,
                     as_of: dt.date = AS_OF) -> Iterator[PrrRecord]:
    """`count` valid records in memory, their images in a shared `MemoryMedia`; `line` is the
    line each would have in the CSV that `write_prr` writes."""
    media = MemoryMedia(media_files(seed, photo_count, signature_count))
    rows = synthetic_rows(count, sites=sites, seed=seed, photo_count=photo_count,
                          signature_count=signature_count, as_of=as_of)
    for line, row in enumerate(rows, start=2):
        yield PrrRecord(
            line=line, tanggal_lahir=dt.date.fromisoformat(row.pop("tanggal_lahir")),
            media=media, **row)


def write_prr(out_dir: str | os.PathLike[str], count: int, *,
              sites: Sequence[str] | None = None, seed: int = 0, fmt: str = "csv",
              photo_count: int = 8, signature_count: int = 4,
              as_of: dt.date = AS_OF) -> Path:
    """Write `count` records as `prr.csv` or `prr.jsonl` plus `foto/` and `ttd/` into
    `out_dir`; returns the data file's path."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError("fmt must be 'csv' or 'jsonl'")
    out = Path(out_dir)
    for rel, data in media_files(seed, photo_count, signature_count).items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    rows = synthetic_rows(count, sites=sites, seed=seed, photo_count=photo_count,
                          signature_count=signature_count, as_of=as_of)
    path = out / f"prr.{fmt}"
    with open(path, "w", encoding="utf-8", newline="") as fp:
        if fmt == "csv":
            writer = csv.writer(fp, lineterminator="\n")
            writer.writerow(schema.FIELDS)
            writer.writerows([row[f] for f in schema.FIELDS] for row in rows)
        else:
            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            fp.writelines(dumps(row) + "\n" for row in rows)
    return path
