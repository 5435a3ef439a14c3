"""Officers and witnesses of a berita acara: the forms accepted and the errors for the rest."""

from __future__ import annotations

import pytest

from cetak.controller.signatory import (
    Signatory,
    SignatoryError,
    check_nip,
    from_text,
    from_values,
)

NIP = "197001011995031001"


def test_nip_is_18_digits_starting_with_a_birth_date():
    assert check_nip(NIP) == NIP
    assert check_nip("19700101 199503 1 001") == NIP  # as often printed, with spaces
    for bad, match in (("1970010119950310", "18 digits, got 16"),
                       ("19700101199503100A", "not all digits"),
                       ("197002301995031001", "first 8 digits are not a date"),
                       ("", "18 digits, got 0")):
        with pytest.raises(SignatoryError, match=match):
            check_nip(bad)


def test_one_string_form_keeps_degrees_in_the_name():
    assert from_text("Budi Santoso, Kepala Seksi") == Signatory("Budi Santoso", "",
                                                                "Kepala Seksi")
    assert from_text("Budi Santoso, S.Kom., M.T., Kepala Seksi") == Signatory(
        "Budi Santoso, S.Kom., M.T.", "", "Kepala Seksi")
    assert from_text(f"Budi, {NIP}, Kepala Seksi") == Signatory("Budi", NIP, "Kepala Seksi")
    assert from_text("Sari") == Signatory("Sari")
    with pytest.raises(SignatoryError, match="18 digits"):
        from_text("Budi, 12345, Kasi")
    with pytest.raises(SignatoryError, match="more than one number"):
        from_text(f"Budi, {NIP}, {NIP}")


def test_command_line_forms_and_their_errors():
    assert from_values(["Ahmad", NIP, "Kabid"], "--officer #1", nip_required=True) == \
        Signatory("Ahmad", NIP, "Kabid")
    assert from_values(["Ahmad", NIP], "--officer #1", nip_required=True) == \
        Signatory("Ahmad", NIP)
    assert from_values(["Sari, Operator"], "--witness #2") == Signatory("Sari", "", "Operator")
    with pytest.raises(SignatoryError, match=r"--officer #1: expected NAME NIP \[POSITION\], "
                                             r"got 1 value"):
        from_values(["Ahmad, Kabid"], "--officer #1", nip_required=True)
    with pytest.raises(SignatoryError, match="--witness #2: the second value must be the NIP"):
        from_values(["Sari", "Operator"], "--witness #2")
    with pytest.raises(SignatoryError, match="got 4 value"):
        from_values(["Sari", NIP, "Operator", "extra"], "--witness #2")
    with pytest.raises(SignatoryError, match="--witness #1: a NIP is 18 digits"):
        from_values(["Sari", "1234"], "--witness #1")


def test_errors_never_repeat_the_name_or_the_number():
    for values in (["Ni Luh Ayu", "1999"], ["Ni Luh Ayu", "199902301995031001"],
                   ["Ni Luh Ayu", "Operator"]):
        with pytest.raises(SignatoryError) as exc:
            from_values(values, "--witness #1")
        assert "Ni Luh" not in str(exc.value) and "1999" not in str(exc.value)


def test_line_form():
    assert Signatory("Ahmad", NIP, "Kabid").line() == f"Ahmad, NIP {NIP}, Kabid"
    assert Signatory("Sari", "", "").line() == "Sari"
