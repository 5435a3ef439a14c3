"""The table of printer models and their capabilities, asked in one place (docs/design.md, code
habit 3).

Yields and speeds vary by model and by ribbon: they are configuration, never constants in code.
The figures below are typical catalogue values, overridable by the agent's configuration and by
`cetak printer emulate` options; dialects and USB ids: docs/printer-dialects.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from cetak.printers.errors import UnknownModel

EVOLIS_VID = 0x0F49
MAGICARD_VID = 0x0C1F


@dataclass(frozen=True)
class CardConsumables:
    """Consumables one card takes, in the units the controller's inventory counts: ribbon
    prints (one panel set) and film frames."""

    ribbon_prints: int
    film_frames: int


# A printer whose kind nobody reported is charged both (never under-count what a site used).
UNKNOWN_PRINTER = CardConsumables(ribbon_prints=1, film_frames=1)


@dataclass(frozen=True)
class PrinterModel:
    name: str
    dialect: str                 # "evolis" | "magicard"
    manufacturer: str
    duplex: bool
    retransfer: bool
    cards_per_hour: float        # YMCKO, one side, as the catalogue states it
    ribbon_panels: int           # panels on one ribbon roll (YMCKO = 5 panels per side)
    film_frames: int             # retransfer film frames per roll; 0 for direct-to-card
    usb_vendor: int
    usb_product: int
    contactless: bool = True     # has (or can have) a contactless encoding station

    @property
    def per_card(self) -> CardConsumables:
        """What one e-KTP (one printed side) takes: one ribbon print; a film frame only on a
        retransfer printer (a direct-to-card printer prints on the blank itself)."""
        return CardConsumables(ribbon_prints=1, film_frames=1 if self.retransfer else 0)

    @property
    def device_id(self) -> str:
        """IEEE 1284 device id string as the printer reports it over USB."""
        cmd = "EVOLIS" if self.dialect == "evolis" else "PCL,MPL"
        model = self.name.replace(" ", "")
        return f"MFG:{self.manufacturer};CMD:{cmd};MDL:{model};CLS:PRINTER;DES:{self.name};"


ALL_MODELS: tuple[PrinterModel, ...] = (
    PrinterModel("Evolis Primacy", "evolis", "Evolis", duplex=True, retransfer=False,
                 cards_per_hour=210, ribbon_panels=1000, film_frames=0,
                 usb_vendor=EVOLIS_VID, usb_product=0x0034),
    PrinterModel("Evolis Zenius", "evolis", "Evolis", duplex=False, retransfer=False,
                 cards_per_hour=150, ribbon_panels=1000, film_frames=0,
                 usb_vendor=EVOLIS_VID, usb_product=0x0035),
    PrinterModel("Evolis Avansia", "evolis", "Evolis", duplex=True, retransfer=True,
                 cards_per_hour=144, ribbon_panels=2500, film_frames=1000,
                 usb_vendor=EVOLIS_VID, usb_product=0x0050),
    PrinterModel("Magicard Rio Pro", "magicard", "Magicard", duplex=True, retransfer=False,
                 cards_per_hour=180, ribbon_panels=1500, film_frames=0,
                 usb_vendor=MAGICARD_VID, usb_product=0x1002),
    PrinterModel("Magicard Enduro", "magicard", "Magicard", duplex=False, retransfer=False,
                 cards_per_hour=150, ribbon_panels=1000, film_frames=0,
                 usb_vendor=MAGICARD_VID, usb_product=0x1003),
    PrinterModel("Magicard Prima 8", "magicard", "Magicard", duplex=True, retransfer=True,
                 cards_per_hour=120, ribbon_panels=1250, film_frames=1000,
                 usb_vendor=MAGICARD_VID, usb_product=0x2001),
)

DEFAULT_MODEL = {"evolis": "Evolis Primacy", "magicard": "Magicard Rio Pro"}


def _key(name: str) -> str:
    return name.lower().replace(" ", "").replace("-", "").replace("_", "")


def get_model(name: str) -> PrinterModel:
    """Look a model up by name, ignoring case, spaces, hyphens and underscores."""
    for model in ALL_MODELS:
        if _key(model.name) == _key(name):
            return model
    raise UnknownModel(name)


def default_model(dialect: str) -> PrinterModel:
    try:
        return get_model(DEFAULT_MODEL[dialect])
    except KeyError:
        raise UnknownModel(f"(default for dialect {dialect!r})") from None


def model_for_usb(vendor: int, product: int) -> PrinterModel:
    for model in ALL_MODELS:
        if (model.usb_vendor, model.usb_product) == (vendor, product):
            return model
    raise UnknownModel(f"usb {vendor:04x}:{product:04x}")


def parse_device_id(device_id: str) -> dict[str, str]:
    """`KEY:value;` pairs of an IEEE 1284 device id; the long key names map to the short ones."""
    long_names = {"MANUFACTURER": "MFG", "COMMAND SET": "CMD", "MODEL": "MDL"}
    fields: dict[str, str] = {}
    for item in device_id.split(";"):
        key, sep, value = item.partition(":")
        if sep:
            key = key.strip().upper()
            fields[long_names.get(key, key)] = value.strip()
    return fields


def dialect_for_device_id(device_id: str) -> str:
    """Choose the dialect from a device id's manufacturer (or command set)."""
    fields = parse_device_id(device_id)
    text = (fields.get("MFG", "") + " " + fields.get("CMD", "")).lower()
    if "evolis" in text:
        return "evolis"
    if "magicard" in text or "ultra electronics" in text:
        return "magicard"
    raise UnknownModel(f"device id {device_id!r}")


def model_for_device_id(device_id: str) -> PrinterModel:
    """The table's model named in MDL, else the dialect's default model."""
    fields = parse_device_id(device_id)
    mdl = _key(fields.get("MDL", ""))
    for model in ALL_MODELS:
        if mdl and _key(model.name) == mdl:
            return model
    return default_model(dialect_for_device_id(device_id))


def consumables_per_card(model: str, retransfer: bool | None = None) -> CardConsumables:
    """What one card takes on a printer as its agent reported it: the table's model by name;
    a model outside the table by its reported retransfer flag; neither known, both charged."""
    if model:
        try:
            return get_model(model).per_card
        except UnknownModel:
            pass
    if retransfer is None:
        return UNKNOWN_PRINTER
    return CardConsumables(ribbon_prints=1, film_frames=1 if retransfer else 0)
