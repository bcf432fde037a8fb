"""The report formats, and how a file's name chooses one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from zabmc.report.counterexample import dumps
from zabmc.report.html import document_html
from zabmc.report.markdown import document_markdown
from zabmc.report.text import document_text

RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "json": dumps,
    "text": document_text,
    "md": document_markdown,
    "html": document_html,
}
EXTENSIONS = {
    ".json": "json",
    ".txt": "text",
    ".text": "text",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
}


def format_for(path: str, given: str | None) -> str:
    """``given`` when set, else the format the file's extension names.

    Raises ``ValueError`` when neither says.
    """
    if given is not None:
        return given
    fmt = EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the report format from {path!r}: name it "
            f"{', '.join(sorted(EXTENSIONS))} or pass --report-format"
        )
    return fmt


def render(doc: Mapping[str, Any], fmt: str) -> str:
    return RENDERERS[fmt](doc)
