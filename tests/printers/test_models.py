from __future__ import annotations

import pytest

from cetak.printers import models
from cetak.printers.errors import UnknownModel


def test_lookup_ignores_case_and_spacing():
    assert models.get_model("evolis-primacy").name == "Evolis Primacy"
    assert models.get_model("MAGICARD RIO PRO").dialect == "magicard"
    with pytest.raises(UnknownModel):
        models.get_model("Fargo HDP5000")


def test_every_model_is_consistent():
    for model in models.ALL_MODELS:
        assert model.dialect in ("evolis", "magicard")
        assert model.retransfer == (model.film_frames > 0)
        assert models.model_for_usb(model.usb_vendor, model.usb_product) is model
        assert models.model_for_device_id(model.device_id) is model


def test_dialect_from_real_device_ids():
    magicard = "MFG:Magicard;CMD:PCL,MPL;MDL:RioTango2D"
    assert models.dialect_for_device_id(magicard) == "magicard"
    assert models.model_for_device_id(magicard).name == "Magicard Rio Pro"  # default model
    assert models.dialect_for_device_id("MANUFACTURER:Evolis;MODEL:Dualys;") == "evolis"
    with pytest.raises(UnknownModel):
        models.dialect_for_device_id("MFG:Zebra;CMD:EPCL;MDL:P330i;")


def test_device_id_fields():
    assert models.parse_device_id("MFG:Evolis;COMMAND SET:EVOLIS;MDL:Primacy;") == {
        "MFG": "Evolis", "CMD": "EVOLIS", "MDL": "Primacy"}
