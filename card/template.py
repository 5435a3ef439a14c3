"""Card template: a JSON data file describing where each element goes on the card.

The format is documented in card/templates/README.md. Loading validates everything the
renderer relies on, so a bad template fails here with the element it is about, not halfway
through printing a campaign.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cetak.card.errors import TemplateError
from cetak.card.fields import FIELDS

FORMAT = "cetak-card-template/1"
CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98
PACKAGE_DIR = Path(__file__).resolve().parent
BUILTIN_TEMPLATE = PACKAGE_DIR / "templates" / "ektp.json"
FONTS_DIR = PACKAGE_DIR / "fonts"
PANELS = ("k", "colour")
IMAGE_FIELDS = ("foto", "tanda_tangan")
STYLE_KEYS = ("font", "size_pt", "min_size_pt", "max_lines")


@dataclass(frozen=True)
class Box:
    """A rectangle in millimetres from the card's top-left corner (landscape)."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Fill:
    """A colour, or a pair chosen by the holder's birth year (e-KTP: red odd, blue even)."""

    colour: str | None = None
    odd: str | None = None
    even: str | None = None

    @property
    def by_birth_year(self) -> bool:
        return self.colour is None


@dataclass(frozen=True)
class TextStyle:
    font: str            # key into Template.fonts
    size_pt: float
    min_size_pt: float
    max_lines: int = 1


@dataclass(frozen=True)
class TextElement:
    name: str
    box: Box
    style: TextStyle
    field: str | None = None      # a key of cetak.card.fields.FIELDS
    text: str | None = None       # literal text instead of a field
    align: str = "left"           # left | center | right
    panel: str = "k"
    colour: str = "#000000"       # used only on the colour panel


@dataclass(frozen=True)
class Cell:
    label: str
    field: str | None
    text: str | None
    x: float                      # label position, mm
    label_width: float            # from label start to the colon, mm
    value_width: float | None     # None: up to the next cell or the column's right edge
    label_style: TextStyle
    value_style: TextStyle


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    pitch: float                  # mm from this row's top to the next row's top (one line)


@dataclass(frozen=True)
class RowsElement:
    name: str
    box: Box
    rows: tuple[Row, ...]
    colon_gap: float              # mm from the colon to the value
    panel: str = "k"


@dataclass(frozen=True)
class RectElement:
    name: str
    box: Box
    fill: Fill
    panel: str = "colour"


@dataclass(frozen=True)
class ImageElement:
    name: str
    box: Box
    field: str                    # foto | tanda_tangan
    fit: str                      # cover (crop to fill) | contain (whole image, centred)
    panel: str
    required: bool


@dataclass(frozen=True)
class OverlayHole:
    name: str
    box: Box


Element = TextElement | RowsElement | RectElement | ImageElement | OverlayHole


@dataclass(frozen=True)
class Template:
    name: str
    fonts: dict[str, Path]
    front: tuple[Element, ...]
    back: tuple[Element, ...] | None = None
    source: Path | None = field(default=None, compare=False)


def load_template(path: str | Path | None = None) -> Template:
    """Load and validate a template file; None loads the built-in e-KTP front template."""
    file = Path(path) if path is not None else BUILTIN_TEMPLATE
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"{file}: cannot read: {exc.strerror}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{file}: not valid JSON: {exc}") from exc
    return parse_template(raw, base_dir=file.parent, source=file)


def parse_template(raw: Any, base_dir: Path, source: Path | None = None) -> Template:
    where = str(source or "template")
    obj = _Obj(raw, where).only("format", "name", "fonts", "front", "back")
    if obj.req("format", str) != FORMAT:
        raise TemplateError(f"{where}: format must be {FORMAT!r}")
    fonts = {key: _font_path(str(val), base_dir, f"{where}: fonts.{key}")
             for key, val in obj.req("fonts", dict).items()}
    if not fonts:
        raise TemplateError(f"{where}: fonts: at least one font is needed")
    front = _elements(obj.req("front", list), fonts, f"{where}: front")
    back_raw = obj.opt("back", list, None)
    back = _elements(back_raw, fonts, f"{where}: back") if back_raw is not None else None
    return Template(name=obj.req("name", str), fonts=fonts, front=front, back=back, source=source)


class _Obj:
    """A JSON object with typed, located accessors so every error names where it is."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise TemplateError(f"{where}: expected an object")
        self.raw = raw
        self.where = where

    def only(self, *keys: str) -> _Obj:
        """Refuse keys the format does not know: a typo must not pass as a default."""
        unknown = sorted(set(self.raw) - set(keys) - {"note", "description"})
        if unknown:
            raise TemplateError(f"{self.where}: unknown key(s) {', '.join(unknown)}")
        return self

    def req(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.raw:
            raise TemplateError(f"{self.where}: missing {key!r}")
        return self._check(key, self.raw[key], kind)

    def opt(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if key not in self.raw or self.raw[key] is None:
            return default
        return self._check(key, self.raw[key], kind)

    def _check(self, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
        # bool is an int in Python; a template saying "size_pt": true is a mistake.
        if isinstance(value, bool) and kind is not bool:
            raise TemplateError(f"{self.where}: {key!r} has the wrong type")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            raise TemplateError(f"{self.where}: {key!r} has the wrong type")
        return value


def _font_path(name: str, base_dir: Path, where: str) -> Path:
    # A custom template may bring its own fonts next to it; the shipped ones are the fallback.
    for candidate in (base_dir / name, FONTS_DIR / name):
        if candidate.is_file():
            return candidate
    raise TemplateError(f"{where}: font file {name!r} not found")


def _box(value: Any, where: str) -> Box:
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise TemplateError(f"{where}: box must be [x, y, w, h] in mm")
    box = Box(*(float(v) for v in value))
    if (box.w <= 0 or box.h <= 0 or box.x < 0 or box.y < 0
            or box.x + box.w > CARD_WIDTH_MM + 1e-6 or box.y + box.h > CARD_HEIGHT_MM + 1e-6):
        raise TemplateError(f"{where}: box lies outside the {CARD_WIDTH_MM} x "
                            f"{CARD_HEIGHT_MM} mm card")
    return box


def _colour(value: Any, where: str) -> str:
    if (not isinstance(value, str) or len(value) != 7 or value[0] != "#"
            or any(c not in "0123456789abcdefABCDEF" for c in value[1:])):
        raise TemplateError(f"{where}: colour must be #rrggbb")
    return value.lower()


def _fill(value: Any, where: str) -> Fill:
    if isinstance(value, str):
        return Fill(colour=_colour(value, where))
    obj = _Obj(value, where).only("by", "odd", "even")
    if obj.req("by", str) != "birth_year":
        raise TemplateError(f"{where}: fill.by must be 'birth_year'")
    return Fill(odd=_colour(obj.req("odd", str), where), even=_colour(obj.req("even", str), where))


def _style(value: Any, fonts: dict[str, Path], where: str,
           base: TextStyle | None = None, nested: bool = True) -> TextStyle:
    obj = _Obj(value if value is not None else {}, where)
    if nested:  # a style object of its own (a text element's keys are checked by its parser)
        obj.only(*STYLE_KEYS)
    font = obj.opt("font", str, base.font if base else None)
    size = obj.opt("size_pt", float, base.size_pt if base else None)
    if font is None or size is None:
        raise TemplateError(f"{where}: text style needs font and size_pt")
    if font not in fonts:
        raise TemplateError(f"{where}: unknown font {font!r}")
    min_size = obj.opt("min_size_pt", float, base.min_size_pt if base else size)
    max_lines = obj.opt("max_lines", int, base.max_lines if base else 1)
    if not 2.0 <= min_size <= size <= 72.0:
        raise TemplateError(f"{where}: need 2 <= min_size_pt <= size_pt <= 72")
    if not 1 <= max_lines <= 6:
        raise TemplateError(f"{where}: max_lines must be 1..6")
    return TextStyle(font=font, size_pt=size, min_size_pt=min_size, max_lines=max_lines)


def _source(obj: _Obj, where: str) -> tuple[str | None, str | None]:
    field_name = obj.opt("field", str, None)
    text = obj.opt("text", str, None)
    if (field_name is None) == (text is None):
        raise TemplateError(f"{where}: give exactly one of 'field' and 'text'")
    if field_name is not None and field_name not in FIELDS:
        raise TemplateError(f"{where}: unknown field {field_name!r}")
    return field_name, text


def _panel(obj: _Obj, where: str, default: str) -> str:
    panel = obj.opt("panel", str, default)
    if panel not in PANELS:
        raise TemplateError(f"{where}: panel must be one of {PANELS}")
    return panel


def _elements(items: list, fonts: dict[str, Path], where: str) -> tuple[Element, ...]:
    out: list[Element] = []
    names: set[str] = set()
    for index, raw in enumerate(items):
        obj = _Obj(raw, f"{where}[{index}]")
        name = obj.req("name", str)
        here = f"{where}[{index}] ({name})"
        if name in names:
            raise TemplateError(f"{here}: duplicate element name")
        names.add(name)
        kind = obj.req("type", str)
        parser = _PARSERS.get(kind)
        if parser is None:
            raise TemplateError(f"{here}: unknown element type {kind!r}")
        out.append(parser(_Obj(raw, here), name, fonts))
    return tuple(out)


def _text_element(obj: _Obj, name: str, fonts: dict[str, Path]) -> TextElement:
    obj.only("type", "name", "box", "field", "text", "align", "panel", "colour", *STYLE_KEYS)
    field_name, text = _source(obj, obj.where)
    align = obj.opt("align", str, "left")
    if align not in ("left", "center", "right"):
        raise TemplateError(f"{obj.where}: align must be left, center or right")
    return TextElement(
        name=name, box=_box(obj.req("box", list), obj.where),
        style=_style(obj.raw, fonts, obj.where, nested=False), field=field_name, text=text,
        align=align,
        panel=_panel(obj, obj.where, "k"),
        colour=_colour(obj.opt("colour", str, "#000000"), obj.where))


def _rows_element(obj: _Obj, name: str, fonts: dict[str, Path]) -> RowsElement:
    obj.only("type", "name", "box", "label_width_mm", "colon_gap_mm", "row_pitch_mm",
             "label_style", "value_style", "rows", "panel")
    box = _box(obj.req("box", list), obj.where)
    label_style = _style(obj.req("label_style", dict), fonts, f"{obj.where}: label_style")
    value_style = _style(obj.req("value_style", dict), fonts, f"{obj.where}: value_style")
    label_width = obj.req("label_width_mm", float)
    pitch = obj.req("row_pitch_mm", float)
    rows = []
    for index, raw_row in enumerate(obj.req("rows", list)):
        row_where = f"{obj.where}: rows[{index}]"
        row = _Obj(raw_row, row_where)
        cells_raw = [raw_row] + [raw for raw in row.opt("more", list, [])]
        cells = []
        for cell_index, raw_cell in enumerate(cells_raw):
            cell_where = row_where if cell_index == 0 else f"{row_where}.more[{cell_index - 1}]"
            cell = _Obj(raw_cell, cell_where).only(
                "label", "field", "text", "label_width_mm", "value_width_mm", "label_style",
                "value_style", *(("pitch_mm", "more") if cell_index == 0 else ("x_mm",)))
            field_name, text = _source(cell, cell_where)
            x = box.x if cell_index == 0 else cell.req("x_mm", float)
            if not box.x <= x < box.x + box.w:
                raise TemplateError(f"{cell_where}: x_mm outside the rows box")
            cells.append(Cell(
                label=cell.req("label", str), field=field_name, text=text, x=x,
                label_width=cell.opt("label_width_mm", float, label_width),
                value_width=cell.opt("value_width_mm", float, None),
                label_style=_style(cell.opt("label_style", dict, {}), fonts,
                                   f"{cell_where}: label_style", base=label_style),
                value_style=_style(cell.opt("value_style", dict, {}), fonts,
                                   f"{cell_where}: value_style", base=value_style)))
        if any(b.x <= a.x for a, b in zip(cells, cells[1:], strict=False)):
            raise TemplateError(f"{row_where}: cells must go left to right")
        rows.append(Row(cells=tuple(cells), pitch=row.opt("pitch_mm", float, pitch)))
    if not rows:
        raise TemplateError(f"{obj.where}: rows is empty")
    return RowsElement(name=name, box=box, rows=tuple(rows),
                       colon_gap=obj.opt("colon_gap_mm", float, 1.2),
                       panel=_panel(obj, obj.where, "k"))


def _rect_element(obj: _Obj, name: str, fonts: dict[str, Path]) -> RectElement:
    obj.only("type", "name", "box", "fill", "panel")
    panel = _panel(obj, obj.where, "colour")
    if panel != "colour":
        raise TemplateError(f"{obj.where}: a rect goes to the colour panel")
    return RectElement(name=name, box=_box(obj.req("box", list), obj.where),
                       fill=_fill(obj.req("fill", (str, dict)), f"{obj.where}: fill"))


def _image_element(obj: _Obj, name: str, fonts: dict[str, Path]) -> ImageElement:
    obj.only("type", "name", "box", "field", "fit", "panel", "required")
    field_name = obj.req("field", str)
    if field_name not in IMAGE_FIELDS:
        raise TemplateError(f"{obj.where}: image field must be one of {IMAGE_FIELDS}")
    fit = obj.opt("fit", str, "cover")
    if fit not in ("cover", "contain"):
        raise TemplateError(f"{obj.where}: fit must be cover or contain")
    return ImageElement(name=name, box=_box(obj.req("box", list), obj.where), field=field_name,
                        fit=fit, panel=_panel(obj, obj.where, "colour"),
                        required=obj.opt("required", bool, True))


def _hole_element(obj: _Obj, name: str, fonts: dict[str, Path]) -> OverlayHole:
    obj.only("type", "name", "box")
    return OverlayHole(name=name, box=_box(obj.req("box", list), obj.where))


_PARSERS = {
    "text": _text_element,
    "rows": _rows_element,
    "rect": _rect_element,
    "image": _image_element,
    "overlay_hole": _hole_element,
}
