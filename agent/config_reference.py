"""Render docs/config-reference.md from the code: `python -m cetak.agent.config_reference`.

The agent's keys come from the dataclasses of cetak.agent.config — name, default, type and the
comment beside (or just above) each field, which is therefore the one place a key is
documented; a field without a comment stops the rendering. The controller's options come from
its argparse parser (`cetak controller serve`), the agent's command line from `agent run`.
tests/console/test_config_reference.py checks that the committed file equals a fresh rendering.

    python -m cetak.agent.config_reference            # print
    python -m cetak.agent.config_reference --write    # update docs/config-reference.md
    python -m cetak.agent.config_reference --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import io
import sys
import tokenize
from pathlib import Path

from cetak.agent import config as agent_config

DOC = Path(__file__).resolve().parents[1] / "docs" / "config-reference.md"

# (TOML table as written in the file, dataclass, fields that are tables of their own)
TABLES: list[tuple[str, type, tuple[str, ...]]] = [
    ("(top level)", agent_config.AgentConfig,
     ("controller", "journal", "printers", "signer", "tuning", "source")),
    ("[controller]", agent_config.ControllerConfig, ()),
    ("[journal]", agent_config.JournalConfig, ()),
    ("[[printers]]", agent_config.PrinterConfig, ()),
    ("[signer]", agent_config.SignerConfig, ()),
    ("[tuning]", agent_config.TuningConfig, ()),
]
# Not keys of the file: where the configuration came from.
INTERNAL = {("AgentConfig", "source")}
TABLE_FIELDS = ("controller", "journal", "printers", "signer", "tuning")


class UndocumentedKey(Exception):
    pass


def field_comments() -> dict[tuple[str, str], str]:
    """(class, field) -> its comment: trailing on the field's line, else the comment lines
    directly above it."""
    source = Path(agent_config.__file__).read_text("utf-8")
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    lines = source.splitlines()
    out = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
                continue
            line = item.lineno
            text = comments.get(line, "") if not lines[line - 1].lstrip().startswith("#") else ""
            if not text:
                above = []
                n = line - 1
                while n >= 1 and lines[n - 1].lstrip().startswith("#"):
                    above.insert(0, comments[n])
                    n -= 1
                text = " ".join(above)
            out[(node.name, item.target.id)] = text
    return out


def accepted_keys() -> set[str]:
    """Every key name parse_config accepts (the arguments of its `.only(...)` calls)."""
    tree = ast.parse(Path(agent_config.__file__).read_text("utf-8"))
    keys: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "only"):
            keys.update(a.value for a in node.args if isinstance(a, ast.Constant))
    return keys


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return "(table of defaults)"
    else:
        return "**required**"
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def _type(f: dataclasses.Field) -> str:
    text = str(f.type).replace("Path", "path").replace(" | None", "")
    return {"str": "string", "float": "number", "int": "integer", "bool": "boolean",
            "tuple[PrinterConfig, ...]": "array of tables",
            "tuple[tuple[str, str | int | bool], ...]": "table"}.get(text, text)


def render_agent() -> list[str]:
    comments = field_comments()
    out = ["## Agent: `agent.toml`", "",
           "Read by `cetak agent run --config FILE`. Unknown keys are errors; every error names "
           "its key (`printers[1].transport: ...`). Relative paths are resolved against the "
           "file's folder. \"none\" as a default means the key is optional and absent.", ""]
    for title, cls, skip in TABLES:
        out += [f"### {title}", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            if (cls.__name__, f.name) in INTERNAL:
                continue
            text = comments.get((cls.__name__, f.name), "")
            if not text:
                raise UndocumentedKey(f"{cls.__name__}.{f.name} has no comment in "
                                      "agent/config.py")
            shown_type = "table" if f.name in TABLE_FIELDS and f.name in skip else _type(f)
            if f.name == "printers":
                shown_type = "array of tables"
            default = _default(f)
            out.append(f"| `{f.name}` | {shown_type} | {default} | {_cell(text)} |")
        out.append("")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _subparser(parser: argparse.ArgumentParser, *path: str) -> argparse.ArgumentParser:
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def render_options(title: str, intro: str, parser: argparse.ArgumentParser) -> list[str]:
    out = [f"## {title}", "", intro, "", "| option | default | meaning |", "|---|---|---|"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        name = ", ".join(f"`{o}`" for o in action.option_strings)
        if action.metavar or action.nargs != 0:
            name += f" {action.metavar or action.dest.upper()}"
        if action.required:
            default = "**required**"
        elif action.nargs == 0:
            default = "off"
        elif action.default in (None, ""):
            default = "none"
        else:
            default = f"`{action.default}`"
        meaning = (action.help or "").replace("%%", "%")
        if action.choices:
            meaning += " (one of: " + ", ".join(str(c) for c in action.choices) + ")"
        out.append(f"| {name} | {default} | {_cell(meaning)} |")
    return out + [""]


def render() -> str:
    from cetak.cli import build_parser

    parser = build_parser()
    lines = ["# Configuration reference", "",
             "<!-- Generated by `python -m cetak.agent.config_reference --write` from "
             "agent/config.py and the command-line parsers; do not edit by hand. -->", ""]
    lines += render_agent()
    lines += render_options(
        "Agent: `cetak agent run`",
        "The agent's command line (systemd: `CETAK_AGENT_OPTS` in /etc/cetak/agent.env).",
        _subparser(parser, "agent", "run"))
    lines += render_options(
        "Controller: `cetak controller serve`",
        "The controller is configured by its command line (systemd: `CETAK_CONTROLLER_OPTS` "
        "in /etc/cetak/controller.env; the unit sets `--pki` and `--store`).",
        _subparser(parser, "controller", "serve"))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = args.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {DOC}")
    mode.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    opts = args.parse_args(argv)
    text = render()
    if opts.write:
        DOC.write_text(text, "utf-8")
    elif opts.check:
        if not DOC.exists() or DOC.read_text("utf-8") != text:
            print(f"{DOC} is stale: run python -m cetak.agent.config_reference --write",
                  file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
