"""The docs stand on their own and say what the product does.

(a) every relative link in the README and the docs points at a file (and heading) in the repo;
(b) nothing in the docs, code comments or docstrings points outside the repository;
(c) every `cetak ...` command in their code blocks parses with the real parser, and each one
    that talks to a controller passes its command's own checks up to the point where it would
    open the connection (so an example with one `--witness` where two are needed fails); the
    `record validate` examples run; every command named in prose exists, with its options.
The admin guide runs whole against a real controller in tests/e2e/test_admin_guide.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import subprocess
from pathlib import Path

import pytest

from tests.docs_commands import argv_of, commands_in, mentions_in, without_fences

REPO = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()

_NOT_OURS = {".git", ".venv", "build", "dist", "node_modules", "__pycache__"}


def _repo_files() -> list[Path]:
    """The repository's files: git's list in a clone, else every file outside build output
    and virtualenvs (an unpacked source archive)."""
    try:
        names = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                               check=True, timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError):
        names = []
    if names:
        return [REPO / n for n in names if (REPO / n).is_file()]
    return [p for p in REPO.rglob("*") if p.is_file()
            and not any(part in _NOT_OURS or part.endswith(".egg-info")
                        for part in p.relative_to(REPO).parts)]


FILES = _repo_files()
# Markdown files whose links are checked: every one in the repository.
MARKDOWN = sorted(p for p in FILES if p.suffix == ".md")
# The guides whose commands are parsed and, where they can be, run (brief: README + guides).
GUIDES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "agent" / "README.md"]

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = without_fences(path.read_text("utf-8"))
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


# -- (a) links ---------------------------------------------------------------------------------

def _links() -> list[tuple[str, str]]:
    """(markdown file, relative link target) of every link and image outside code blocks."""
    found = []
    for path in MARKDOWN:
        for a, b in _LINK.findall(without_fences(path.read_text("utf-8"))):
            target = a or b
            if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: ...
                found.append((_rel(path), target))
    return found


def test_markdown_files_are_found() -> None:
    names = {_rel(p) for p in MARKDOWN}
    assert {"README.md", "docs/prr-format.md", "docs/printer-dialects.md",
            "docs/design.md", "docs/admin-guide.md"} <= names


@pytest.mark.parametrize("doc,target", _links(), ids=lambda v: str(v))
def test_relative_link_exists(doc: str, target: str) -> None:
    source = REPO / doc
    file_part, _, anchor = target.partition("#")
    dest = (source.parent / file_part).resolve() if file_part else source
    assert dest.is_relative_to(REPO), f"{_rel(source)}: {target} leaves the repository"
    assert dest.exists(), f"{_rel(source)}: link to {target}: no such file"
    if anchor and dest.suffix == ".md":
        assert anchor in _anchors(dest), f"{_rel(source)}: {target}: no such heading"


_PATH_ROOTS = ("src", "controller", "agent", "printers", "card", "native", "demo", "drills",
               "tests", "bench", "deploy", "proto", "fuzz", "docs")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def test_repository_paths_named_in_docs_exist() -> None:
    """A path in backticks that starts at a top-level folder (`controller/importer.py`,
    `deploy/systemd/`) names something that is there: a doc left behind by a move fails."""
    missing = []
    for path in GUIDES + [p for p in MARKDOWN if p not in GUIDES]:
        for span in _CODE_SPAN.findall(without_fences(path.read_text("utf-8"))):
            token = span.strip()
            if " " in token or not re.fullmatch(r"[\w./-]+", token) or "/" not in token:
                continue
            if token.split("/")[0] not in _PATH_ROOTS or "*" in token:
                continue
            # from the repository's root or the doc's own folder; `pkg/mod.attr` names mod.py
            module = token.rsplit(".", 1)[0] + ".py"
            if not any(p.exists() for base in (REPO, path.parent) for p in
                       (base / token, base / module)):
                missing.append(f"{_rel(path)}: `{token}`")
    assert not missing, "\n".join(missing)


# -- (b) nothing outside the repository --------------------------------------------------------

# What pointed outside the repository before: the project's shared folder and its files.
_OUTSIDE = re.compile(
    r"(?i:shared/|/work/|shared folder|shared data folder|founders|field-notes|beside the repo)"
    r"|DESIGN\.md|STYLE\.md")
# Names of files that now live in docs/: mentioned anywhere but docs/ they must say docs/.
_DOC_NAMES = re.compile(r"(?<![\w/.'\"-])(prr-format\.md|printer-dialects\.md|design\.md)")
_TEXT_SUFFIXES = {".md", ".py", ".c", ".h", ".proto", ".sql", ".yml", ".yaml", ".toml", ".txt",
                  ".cfg", ".ini", ".service", ".example", ".rules", ".json", ".po", ".sh", ""}


def _text_files() -> list[Path]:
    files = []
    for path in FILES:
        if path == THIS or path.suffix not in _TEXT_SUFFIXES:
            continue
        if path.name.endswith(("_pb2.py", "_pb2_grpc.py", "_pb2.pyi")):
            continue  # generated
        files.append(path)
    return files


def test_nothing_points_outside_the_repository() -> None:
    found = []
    for path in _text_files():
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if _OUTSIDE.search(line):
                found.append(f"{_rel(path)}:{n}: {line.strip()}")
            elif path.parent != REPO / "docs":
                for m in _DOC_NAMES.finditer(line):
                    found.append(f"{_rel(path)}:{n}: {m.group(1)} without docs/: "
                                 f"{line.strip()}")
    assert not found, "\n".join(found)


def test_the_outside_pattern_catches_what_it_must() -> None:
    assert not _OUTSIDE.search("see docs/design.md section 4")
    for line in ("see DESIGN.md section 4", "in the shared folder", "/work/shared/data",
                 "../shared/vectors/x.prn", "(STYLE.md 3)", "the founders' design"):
        assert _OUTSIDE.search(line), line
    assert _DOC_NAMES.search("rules of prr-format.md") and not _DOC_NAMES.search(
        "rules of docs/prr-format.md")


# -- (c) every command shown exists, and is right ----------------------------------------------

def _all_commands() -> list[tuple[str, str]]:
    return [(_rel(path), command) for path in GUIDES
            for command in commands_in(path.read_text("utf-8"))]


def _all_mentions() -> list[tuple[str, str]]:
    return [(_rel(path), command) for path in MARKDOWN
            for command in mentions_in(path.read_text("utf-8"))]


def test_the_guides_show_commands() -> None:
    by_doc = {doc for doc, _ in _all_commands()}
    assert {"README.md", "docs/admin-guide.md", "docs/prr-format.md"} <= by_doc
    # the operator guide names its commands in prose (checked by name below)
    assert any(doc == "docs/operator-guide.md" for doc, _ in _all_mentions())


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    from cetak.cli import build_parser

    return build_parser()


def _parse(parser: argparse.ArgumentParser, doc: str, command: str) -> argparse.Namespace:
    argv = argv_of(command)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0 and "--help" in argv:
            return argparse.Namespace(help=True)
        pytest.fail(f"{doc}: `{command}` does not parse: {err.getvalue().strip()}")
    if getattr(args, "handler", None) is None:
        pytest.fail(f"{doc}: `{command}` names a command group, not a command")
    return args


@pytest.mark.parametrize("doc,command", _all_commands(), ids=lambda v: v[:70])
def test_command_parses(parser: argparse.ArgumentParser, doc: str, command: str) -> None:
    _parse(parser, doc, command)


def _subcommands(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser] | None:
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return None


@pytest.mark.parametrize("doc,mention", _all_mentions(), ids=lambda v: v[:70])
def test_command_named_in_prose_exists(parser: argparse.ArgumentParser, doc: str,
                                       mention: str) -> None:
    """The group, the subcommand (each of `a|b`) and every `--flag` of the mention exist."""
    current = [parser]
    for word in argv_of(mention):
        if word in ("...", "…"):
            return
        if word.startswith("-"):
            flag = word.split("=")[0]
            for p in current:
                assert flag in p._option_string_actions, (
                    f"{doc}: `{mention}`: {p.prog} has no option {flag}")
            continue
        subs = _subcommands(current[0])
        if subs is None:
            continue  # a value
        names = word.split("|")
        for name in names:
            assert name in subs, f"{doc}: `{mention}`: {current[0].prog} has no command {name}"
        current = [subs[n] for n in names]


class _WouldConnect(Exception):
    """Raised instead of opening a channel: the command's own checks all passed."""


@pytest.fixture
def site_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the files the guides' examples name (`prr-depok.zip`)."""
    from cetak.prr.bundle import bundle_prr

    bundle_prr(REPO / "docs" / "examples" / "prr-example.csv", tmp_path / "prr-depok.zip")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _talks_to_controller(args: argparse.Namespace) -> bool:
    return hasattr(args, "controller") and hasattr(args, "insecure")


@pytest.mark.parametrize(
    "doc,command", [(d, c) for d, c in _all_commands() if "--controller" in c],
    ids=lambda v: v[:70])
def test_controller_command_passes_its_own_checks(
        parser: argparse.ArgumentParser, doc: str, command: str, site_folder: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import cetak.client

    args = _parse(parser, doc, command)
    assert _talks_to_controller(args), command

    def would_connect(*_args: object, **_kwargs: object) -> None:
        raise _WouldConnect

    monkeypatch.setattr(cetak.client, "open_channel", would_connect)
    with pytest.raises(_WouldConnect):
        code = args.handler(args)
        pytest.fail(f"{doc}: `{command}` stops before connecting (exit {code}): "
                    f"{capsys.readouterr().err.strip()}")


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run([sys.executable, "-m", "cetak", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_record_validate_in_the_guides_runs(site_folder: Path) -> None:
    commands = [(d, c) for d, c in _all_commands() if c.startswith("cetak record validate ")]
    assert commands
    for doc, command in commands:
        cwd = REPO if "docs/examples/" in command else site_folder
        proc = _run(argv_of(command), cwd)
        assert proc.returncode in (0, 1), f"{doc}: `{command}`: {proc.stderr.strip()}"
