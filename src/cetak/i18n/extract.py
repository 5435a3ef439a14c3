"""Keep the catalogue in step with the code: `python -m cetak.i18n.extract [--write]`.

Finds every message marked in the operator-facing modules (`N_("...")`, `_("...")` or
`tr("...")` with a literal) and compares it with the msgids of each cetak.po: without
--write it lists what is missing or obsolete and exits 1 if anything is; with --write it
rewrites the .po files in source order, keeping existing translations (new entries get an
empty msgstr, which shows in English until translated). tests/console/test_i18n.py runs
the check.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import sys
from pathlib import Path

from cetak.i18n import DOMAIN, LOCALE_DIR, parse_po

# Modules whose texts an operator reads.
MODULES = ("cetak.agent.console.messages", "cetak.agent.cli", "cetak.agent.daemon",
           "cetak.controller.sites", "cetak.controller.site_cli",
           "cetak.controller.reports", "cetak.client", "cetak.cli",
           "cetak.controller.status_text", "cetak.controller.campaign_cli",
           "cetak.controller.inventory_cli", "cetak.output")


def extract() -> list[tuple[str, str]]:
    """(msgid, "module:line") in source order, each msgid once."""
    seen: dict[str, str] = {}
    for module in MODULES:
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        tree = ast.parse(Path(spec.origin).read_text("utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_", "tr") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                seen.setdefault(node.args[0].value, f"{module}:{node.lineno}")
    return sorted(seen.items(), key=lambda item: (MODULES.index(item[1].split(":")[0]),
                                                  int(item[1].split(":")[1])))


def catalogues() -> list[Path]:
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def differences(po: Path) -> tuple[list[str], list[str]]:
    """(missing from the catalogue, obsolete in it)."""
    wanted = {msgid for msgid, _ in extract()}
    have = set(parse_po(po.read_text("utf-8"))) - {""}
    return sorted(wanted - have), sorted(have - wanted)


def write(po: Path) -> None:
    entries = parse_po(po.read_text("utf-8")) if po.exists() else {}
    header = entries.get("", {}).get("msgstr", "Content-Type: text/plain; charset=UTF-8\n")
    out = ['# cetak operator messages. msgid: English (the fallback); msgstr: this language.',
           '# Regenerate the entries with `python -m cetak.i18n.extract --write`.',
           'msgid ""', "msgstr " + _quote(header), ""]
    for msgid, where in extract():
        flags = ["python-brace-format"] if "{" in msgid else []
        out.append(f"#: {where}")
        if flags:
            out.append("#, " + ", ".join(flags))
        out.append("msgid " + _quote(msgid))
        out.append("msgstr " + _quote(entries.get(msgid, {}).get("msgstr", "")))
        out.append("")
    po.write_text("\n".join(out), "utf-8")


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update the .po files")
    args = parser.parse_args(argv)
    bad = 0
    for po in catalogues():
        if args.write:
            write(po)
            continue
        missing, obsolete = differences(po)
        for msgid in missing:
            print(f"{po}: missing {msgid!r}", file=sys.stderr)
        for msgid in obsolete:
            print(f"{po}: obsolete {msgid!r}", file=sys.stderr)
        bad += len(missing) + len(obsolete)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
