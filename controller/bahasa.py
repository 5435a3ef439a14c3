"""Dates and numbers as Indonesian official documents write them.

A berita acara gives the day, the date and counts in words as well as in figures ("Pada hari
ini Jumat, tanggal empat bulan Desember tahun dua ribu dua puluh enam"; "5 (lima) keping"),
so a figure cannot be altered without the words disagreeing. The month names serve the
progress chart too, with English names for its English form.
"""

from __future__ import annotations

from datetime import datetime

BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")  # Monday first

_SATUAN = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
           "sembilan", "sepuluh", "sebelas")
_SCALES = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (1000, "ribu"))


def terbilang(n: int) -> str:
    """A whole number in Indonesian words: 5 -> "lima", 1105 -> "seribu seratus lima"."""
    if n < 0:
        return "minus " + terbilang(-n)
    if n < 12:
        return _SATUAN[n]
    if n < 20:
        return f"{_SATUAN[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{_SATUAN[tens]} puluh" + (f" {_SATUAN[rest]}" if rest else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "seratus" if hundreds == 1 else f"{_SATUAN[hundreds]} ratus"
        return head + (f" {terbilang(rest)}" if rest else "")
    for scale, word in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            head = "seribu" if scale == 1000 and high == 1 else f"{terbilang(high)} {word}"
            return head + (f" {terbilang(rest)}" if rest else "")
    raise AssertionError(n)  # every n >= 1000 has a scale above


def tanggal(t: datetime) -> str:
    """4 Desember 2026."""
    return f"{t.day} {BULAN[t.month - 1]} {t.year}"


def tanggal_terbilang(t: datetime) -> str:
    """Jumat, tanggal empat bulan Desember tahun dua ribu dua puluh enam."""
    return (f"{HARI[t.weekday()]}, tanggal {terbilang(t.day)} bulan "
            f"{BULAN[t.month - 1]} tahun {terbilang(t.year)}")


def date_text(t: datetime, lang: str) -> str:
    """The date in the chart's language: "4 Desember 2026" or "4 December 2026"."""
    months = BULAN if lang == "id" else MONTHS
    return f"{t.day} {months[t.month - 1]} {t.year}"


_BULAN_PENDEK = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov",
                 "Des")
_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                 "Dec")


def short_date(t: datetime, lang: str) -> str:
    """"4 Des" / "4 Dec": a chart axis' date."""
    months = _BULAN_PENDEK if lang == "id" else _MONTHS_SHORT
    return f"{t.day} {months[t.month - 1]}"
