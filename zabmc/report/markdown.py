"""Markdown rendering of a counterexample document, ready to paste into a pull request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zabmc.report.summary import broken_by, facts, step_changes, title
from zabmc.report.text import value_text


def cell(text: str) -> str:
    """Text safe inside a table cell: pipes escaped, newlines as breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def code(text: str) -> str:
    """Inline code, even when the text holds backticks."""
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{cell(text)}{pad}{fence}"


def server_rows(doc: Mapping[str, Any]) -> list[str]:
    """A table of every server after the last step: role and phase, history, committed prefix."""
    names = doc["servers"]
    last = doc["steps"][-1]
    if not names:
        return []
    lines = [
        f"### Servers after step {last['index']}",
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    status = [s["status"] or "" for s in last["servers"]]
    if any(status):
        lines.append("| role/phase | " + " | ".join(cell(s) for s in status) + " |")
    if any(s["history"] is not None for s in last["servers"]):
        logs = []
        for s in last["servers"]:
            entries = s["history"] or []
            committed = s["committed"] or 0
            marked = [f"**{e}**" if k < committed else e for k, e in enumerate(entries)]
            logs.append(" ".join(marked) or "(empty)")
        lines.append("| history | " + " | ".join(cell(x) for x in logs) + " |")
    lines += ["", "History entries in **bold** are the committed prefix."]
    return lines


def document_markdown(doc: Mapping[str, Any]) -> str:
    """The explanation first, then the facts, the steps and the servers' final state."""
    lines = [
        f"## {title(doc)}",
        "",
        f"> {cell(doc['explanation'])}",
        ">",
        f"> {broken_by(doc)}",
        "",
    ]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {name} | {cell(value)} |" for name, value in facts(doc)]
    lines += ["", "### Steps", "", "| # | action | changed |", "|---:|---|---|"]
    for step, changes in zip(doc["steps"], step_changes(doc), strict=True):
        changed = "<br>".join(
            f"{code(path)}: {cell(value_text(old))} → {cell(value_text(new))}"
            for path, old, new in changes
        )
        marker = " (fault)" if step["fault"] else ""
        lines.append(f"| {step['index']} | {code(step['label'])}{marker} | {changed} |")
    lines.append("")
    lines += server_rows(doc)
    return "\n".join(lines).rstrip("\n") + "\n"
