"""The `cetak ...` commands a Markdown page shows: in its code blocks, and named in its prose.
Shared by tests/test_docs.py (they parse and pass their own checks) and
tests/e2e/test_admin_guide.py (the admin guide's run against a real controller)."""

from __future__ import annotations

import re
import shlex

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
# Blocks of commands to run; a ```text block shows what a command printed, not a command.
COMMAND_FENCE = re.compile(r"^```(?!text)[^\n]*\n(.*?)^```", re.S | re.M)


def without_fences(text: str) -> str:
    """The text with its fenced code blocks blanked out (line numbers kept)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


# Placeholders in the guides and what stands in for them.
_PLACEHOLDERS = {"GROUP": "record", "<NIK>": "3276011708850001"}


def _joined_lines(block: str) -> list[str]:
    """The block's lines, each `\\`-continued line joined to the next."""
    out: list[str] = []
    pending = ""
    for raw in block.splitlines():
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        out.append(line)
    return out


def commands_in(text: str) -> list[str]:
    """Every `cetak ...` command line of the fenced blocks (also after `$ `, after `&&`, and as
    `python -m cetak ...`), continuation lines joined."""
    commands = []
    for block in COMMAND_FENCE.findall(text):
        for line in _joined_lines(block):
            line = re.sub(r"\s+#.*$", "", line.removeprefix("$ ")).strip()
            for part in line.split("&&"):
                part = part.strip()
                part = re.sub(r"^(?:\S*/)?python3? -m cetak(?:\.cli)? ", "cetak ", part)
                part = re.sub(r"^(?:\S*/)?cetak ", "cetak ", part)
                if part.startswith("cetak "):
                    commands.append(part)
    return commands


def mentions_in(text: str) -> list[str]:
    """Inline code spans naming a command in prose (`cetak record held`, `cetak inventory
    receive|transfer`): often partial, so only their names are checked."""
    prose = without_fences(text).replace("\n", " ")
    return [re.sub(r"\s+", " ", span) for span in re.findall(r"`(cetak [^`]+)`", prose)]


def argv_of(command: str) -> list[str]:
    """The command's arguments after `cetak`, placeholders replaced by sample values."""
    argv = shlex.split(command)[1:]
    return [_PLACEHOLDERS.get(a, a) for a in argv]
