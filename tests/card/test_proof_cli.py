import csv
import json

import pytest
from PIL import Image

from cetak.card.cli import make_proofs
from cetak.cli import main
from cetak.prr.synthetic import write_prr


@pytest.fixture(scope="module")
def prr_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prr")
    path = write_prr(folder, 6, seed=7)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[1]["nik"] = "123"                      # line 3: invalid for the PRR rules
    rows[4]["nama"] = "X" * 60                  # line 6: valid PRR, but cannot fit the card
    with path.open("w", encoding="utf-8", newline="") as fp:
        writer = csv.DictWriter(fp, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_proof_writes_pngs_and_a_contact_sheet_and_exits_1(prr_file, tmp_path, capsys):
    out = tmp_path / "proofs"
    code = main(["card", "proof", str(prr_file), "--out", str(out), "--json",
                 "--issue-date", "2019-02-11"])
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["proofs"] == 4
    assert [(i["line"], i["field"]) for i in report["invalid"]] == [(3, "nik"), (6, "nama")]
    assert "X" * 60 not in json.dumps(report)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["contact-sheet-001.png", "line-000002.png", "line-000004.png",
                     "line-000005.png", "line-000007.png"]
    with Image.open(out / "line-000002.png") as image:
        assert image.size == (1016, 648)
    with Image.open(out / "contact-sheet-001.png") as sheet:
        assert sheet.width > 1016


def test_text_output_lists_invalid_records(prr_file, tmp_path, capsys):
    assert main(["card", "proof", str(prr_file), "--out", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    assert "line 3: nik:" in text and "line 6: nama:" in text
    assert "4 proofs, 2 invalid" in text


def test_all_valid_exits_0(tmp_path):
    path = write_prr(tmp_path / "in", 3, seed=1)
    result = make_proofs(path, tmp_path / "out")
    assert len(result.proofs) == 3 and not result.invalid and len(result.sheets) == 1


def test_unusable_input_exits_2(tmp_path, capsys):
    assert main(["card", "proof", str(tmp_path / "missing.csv"), "--out", str(tmp_path)]) == 2
