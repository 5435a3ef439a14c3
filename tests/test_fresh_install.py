"""A fresh clone works as the README says: the wheel, installed into a new virtualenv (not
editable), is what runs from the repository's root.

Python puts the current directory first on sys.path for `python -m` and `-c`, so a folder named
`cetak` at the root would be imported instead of the installed package (it once was: the demo
failed with "No module named 'cetak.controller'"). An editable install hides that, so this test
builds and installs a real wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cetak.cli import COMMAND_GROUPS

REPO = Path(__file__).resolve().parents[1]


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _clone(dest: Path) -> Path:
    """The files a fresh clone has: what git tracks (the working tree's version of them)."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A new virtualenv with the wheel built from a clean copy of the tracked files."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of the repository (git ls-files names a clone's files)")
    work = tmp_path_factory.mktemp("fresh-install")
    clone = _clone(work / "clone")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "-q", "-w", str(work / "dist"), str(clone)], cwd=work, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("cetak-*.whl")
    venv = work / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], cwd=work, timeout=120)
    assert made.returncode == 0, made.stderr
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
               cwd=work, timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv


def test_the_root_has_no_folder_named_like_the_package():
    assert not (REPO / "cetak").exists(), (
        "a folder named cetak at the repository root shadows the installed package for "
        "`python -m cetak` run from the root; the ground floor lives in src/cetak")


def test_python_imports_the_installed_package_from_the_root(installed):
    python = str(installed / "bin" / "python")
    found = _run([python, "-c", "import cetak, cetak.controller, cetak.demo; "
                  "print(cetak.__file__); print(cetak.controller.__file__)"], REPO, 60)
    assert found.returncode == 0, found.stderr
    for line in found.stdout.split():
        assert Path(line).is_relative_to(installed), f"{line} is not the installed package"


@pytest.mark.parametrize("how", ["python -m cetak", "cetak"])
def test_help_from_the_root_lists_every_command_group(installed, how):
    argv = ([str(installed / "bin" / "python"), "-m", "cetak", "--help"] if how != "cetak"
            else [str(installed / "bin" / "cetak"), "--help"])
    shown = _run(argv, REPO, 60)
    assert shown.returncode == 0, shown.stderr
    for group, _module, _help in COMMAND_GROUPS:
        assert f"    {group} " in shown.stdout, f"`{how} --help` lacks the {group} commands"


def test_demo_from_the_root_prints_every_card_once(installed, tmp_path):
    ran = _run([str(installed / "bin" / "python"), "-m", "cetak", "demo", "--cards", "20",
                "--sites", "2", "--json", "--out", str(tmp_path / "demo"), "--timeout", "240"],
               REPO, 300)
    assert ran.returncode == 0, ran.stderr[-4000:]
    summary = json.loads(ran.stdout)
    assert summary["records"] == 20 and summary["printed"] == 20
    assert summary["duplicates"] == 0 and summary["lost"] == 0
    assert summary["blanks_balanced"] is True
