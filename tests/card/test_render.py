import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synth import BLUE, RED, depok_record, face_png

from cetak.card import RenderedCard, render_card
from cetak.card.errors import CardError, FieldDoesNotFit, FieldInvalid, PhotoError, TemplateError
from cetak.card.template import BUILTIN_TEMPLATE, load_template
from cetak.card.text import mm_to_px


def px(mm: float) -> int:
    return round(mm_to_px(mm))


def region(array: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x, y, w, h = box
    return array[px(y):px(y + h), px(x):px(x + w)]


@pytest.fixture(scope="module")
def card() -> RenderedCard:
    return render_card(depok_record())


def test_shapes_and_types(card):
    assert card.back is None
    side = card.front
    assert side.rgb.shape == (648, 1016, 3) and side.rgb.dtype == np.uint8
    assert side.k_mask.shape == (648, 1016) and side.k_mask.dtype == bool
    assert side.o_mask.shape == (648, 1016) and side.o_mask.dtype == bool


def test_text_goes_to_resin_with_white_underneath(card):
    side = card.front
    assert side.k_mask.sum() > 5000
    assert (side.rgb[side.k_mask] == 255).all()
    # The name row (second row of the identity block) holds resin text.
    assert region(side.k_mask, (24.0, 13.6, 30.0, 2.4)).any()


def test_overlay_everywhere_but_the_chip_hole(card):
    o_mask = card.front.o_mask
    hole = region(o_mask, (8.5, 17.5, 13.0, 13.0))
    assert not hole.any()
    assert o_mask.sum() == o_mask.size - hole.size


def test_background_bleeds_to_canvas_edge(card):
    rgb = card.front.rgb
    assert tuple(rgb[647, 1015]) == tuple(rgb[640, 5]) != (255, 255, 255)


@pytest.mark.parametrize(("born", "nik", "colour"), [
    ("1990-08-17", "3276015708900001", BLUE),
    ("1991-08-17", "3276015708910001", RED),
])
def test_photo_frame_colour_follows_birth_year_parity(born, nik, colour):
    side = render_card(depok_record(tanggal_lahir=born, nik=nik)).front
    frame = side.rgb[px(9.6), px(70.0)].astype(int)   # inside the frame, above the photo
    red, blue = frame[0] > frame[2], frame[2] > frame[0]
    assert red if colour == RED else blue


def test_photo_is_cropped_to_fill_its_box():
    wide = Image.new("RGB", (900, 200), (0, 200, 0))
    data = io.BytesIO()
    wide.save(data, "JPEG", quality=95)
    side = render_card(depok_record(foto=data.getvalue())).front
    photo = region(side.rgb, (64.1, 10.1, 18.8, 24.8)).astype(int)
    assert (abs(photo - [0, 200, 0]) < 12).all()


def test_rendering_is_deterministic(card):
    again = render_card(depok_record())
    assert np.array_equal(again.front.rgb, card.front.rgb)
    assert np.array_equal(again.front.k_mask, card.front.k_mask)


def test_signature_is_optional_and_goes_to_resin(card):
    signature_box = (64.5, 41.8, 18.0, 9.0)
    assert region(card.front.k_mask, signature_box).any()
    plain = render_card(depok_record(tanda_tangan=b"")).front
    assert not region(plain.k_mask, signature_box).any()


def test_long_name_wraps_inside_the_value_column():
    name = "Muhammad Abdurrahman Wahid Kusumaatmadja Prawiranegara Setia"
    assert len(name) == 60
    side = render_card(depok_record(nama=name)).front
    # Text never spills between the value column (ends 62 mm) and the photo frame (63.4 mm).
    assert not region(side.k_mask, (62.1, 9.0, 1.2, 44.0)).any()
    # The wrapped name needs a second line: the row below starts lower than usual.
    normal = render_card(depok_record()).front
    rows = lambda k: np.flatnonzero(region(k, (2.5, 9.0, 15.0, 44.5)).any(axis=1))  # noqa: E731
    assert rows(side.k_mask).max() > rows(normal.k_mask).max()


def test_unbreakable_text_is_refused_naming_the_field():
    secret = "X" * 60
    with pytest.raises(FieldDoesNotFit) as info:
        render_card(depok_record(nama=secret))
    assert info.value.field == "nama"
    assert secret not in str(info.value)
    assert isinstance(info.value, CardError)


def test_overfull_column_is_refused_naming_a_wrapped_field():
    long = "Jalan Panjang Sekali " * 5
    with pytest.raises(FieldDoesNotFit) as info:
        render_card(depok_record(nama=long[:60], alamat=long[:100], pekerjaan=long[:40],
                                 tempat_lahir=long[:40], kelurahan=long[:40],
                                 kecamatan=long[:40], agama=long[:40]))
    assert info.value.field in {"nama", "alamat", "pekerjaan", "tempat_lahir", "kelurahan",
                                "kecamatan", "agama"}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"nama": ""}, "nama"),
    ({"nama": "SITI\u200bAMINAH"}, "nama"),
    ({"alamat": "JL. A\nRT 1"}, "alamat"),
    ({"tanggal_lahir": "17-08-1990"}, "tanggal_lahir"),
    ({"rt": "1234"}, "rt"),
    ({"nik": "32760117089"}, "nik"),
    ({"nama": "SITI 中文"}, "nama"),
    ({"alamat": "JL. MAWAR \U0001F600"}, "alamat"),
])
def test_bad_values_are_refused_naming_the_field(overrides, field):
    with pytest.raises(FieldInvalid) as info:
        render_card(depok_record(**overrides))
    assert info.value.field == field


@pytest.mark.parametrize("foto", [b"", b"not an image", face_png(size=(40, 50))])
def test_unusable_photo_is_refused(foto):
    with pytest.raises(PhotoError) as info:
        render_card(depok_record(foto=foto))
    assert info.value.field == "foto"


def test_jpeg_photo_with_alpha_free_modes():
    side = render_card(depok_record(foto=face_png(fmt="JPEG"))).front
    assert side.rgb.shape == (648, 1016, 3)


def test_latin_letters_with_diacritics_print():
    render_card(depok_record(nama="Zoë Ñúñez Şahin Øyvind"))


def test_capitals_and_formats():
    from cetak.card.fields import format_field
    record = depok_record(rt="7", rw="12", golongan_darah="")
    assert format_field(record, "nama") == "SITI NURHALIZA PUTRI"
    assert format_field(record, "rt_rw") == "007/012"
    assert format_field(record, "golongan_darah") == "-"
    assert format_field(record, "tempat_tgl_lahir") == "DEPOK, 17-08-1990"
    assert format_field(record, "provinsi_header") == "PROVINSI JAWA BARAT"
    assert format_field(record, "kabupaten_kota_header") == "KOTA DEPOK"
    bogor = depok_record(kabupaten_kota="Bogor", kelurahan_kode="32.01.01.2001")
    assert format_field(bogor, "kabupaten_kota_header") == "KABUPATEN BOGOR"


def _custom(tmp_path: Path, edit) -> Path:
    raw = json.loads(BUILTIN_TEMPLATE.read_text())
    edit(raw)
    path = tmp_path / "custom.json"
    path.write_text(json.dumps(raw))
    return path


def test_custom_template_from_a_file(tmp_path):
    def drop_signature_and_hole(raw):
        raw["front"] = [e for e in raw["front"] if e["name"] not in ("signature", "chip")]
    template = load_template(_custom(tmp_path, drop_signature_and_hole))
    side = render_card(depok_record(), template).front
    assert side.o_mask.all()


@pytest.mark.parametrize("edit", [
    lambda raw: raw.update(format="other/1"),
    lambda raw: raw["front"][1].update(field="no_such_field"),
    lambda raw: raw["front"][1].update(box=[80, 1, 10, 3]),
    lambda raw: raw["front"][1].update(font="italic"),
    lambda raw: raw["front"][1].update(size_pt=True),
    lambda raw: raw["front"][0].update(fill="red"),
    lambda raw: raw["front"].append({"type": "circle", "name": "x"}),
    lambda raw: raw["fonts"].update(regular="Missing.ttf"),
    lambda raw: raw["front"][1].update(max_line=2),
    lambda raw: raw["front"][3]["rows"][1].update(value_style={"max_line": 2}),
    lambda raw: raw["front"][3]["label_style"].update(colour="#ff0000"),
])
def test_bad_templates_are_refused(tmp_path, edit):
    with pytest.raises(TemplateError):
        load_template(_custom(tmp_path, edit))


def test_template_not_json(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("{")
    with pytest.raises(TemplateError):
        load_template(path)
