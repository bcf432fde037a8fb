"""HTML rendering of a counterexample document: one self-contained file.

The page holds everything it shows: its style, its script, the sequence
chart as inline SVG and the document itself as JSON, so it opens offline
and can be attached to an issue. Clicking a step (in the chart or the table)
shows every server's state after it, changed fields highlighted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from importlib.resources import files
from typing import Any

from zabmc.report.chart import role_colours, sequence_chart
from zabmc.report.summary import broken_by, facts, step_changes, title
from zabmc.report.text import value_text


def asset(name: str) -> str:
    return files("zabmc.report").joinpath("assets", name).read_text(encoding="utf-8")


def embedded_json(doc: Mapping[str, Any]) -> str:
    """The document as script content: ``</`` escaped so no string in it can end the script."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def steps_table(doc: Mapping[str, Any]) -> str:
    rows = ['<table id="steps"><tr><th>#</th><th>action</th><th>changed</th></tr>']
    for step, changes in zip(doc["steps"], step_changes(doc), strict=True):
        cls = "step fault" if step["fault"] else "step"
        changed = "<br>".join(
            f"<code>{escape(path)}</code> {escape(value_text(new))}" for path, _, new in changes
        )
        rows.append(
            f'<tr class="{cls}" data-step="{step["index"]}"><td>{step["index"]}</td>'
            f'<td class="action">{escape(step["label"])}</td>'
            f'<td class="changed">{changed}</td></tr>'
        )
    rows.append("</table>")
    return "\n".join(rows)


def legend(doc: Mapping[str, Any]) -> str:
    roles = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{escape(role)}'
        for role, colour in role_colours(doc["steps"]).items()
    )
    return (
        f'<div class="legend">Lanes by role:{roles}. Arrows run from the step that sent a '
        "message to the step that received it; dashed ones were lost (✕) or are still in "
        "flight. Red diamonds mark faults. Click a step to see the state after it.</div>"
    )


def document_html(doc: Mapping[str, Any]) -> str:
    """The whole page."""
    fact_rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(value)}</td></tr>" for name, value in facts(doc)
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title(doc))}</title>
<style>
{asset("report.css")}</style>
</head>
<body>
<header>
<h1>{escape(title(doc))}</h1>
<p class="explanation" id="explanation">{escape(doc["explanation"])}</p>
<p class="broken-by">{escape(broken_by(doc))}</p>
<table class="facts">{fact_rows}</table>
</header>
<main>
<section id="chart-section">
<h2>Message sequence chart</h2>
{legend(doc)}
<div class="chart-scroll">
{sequence_chart(doc)}
</div>
</section>
<section class="split{" many" if len(doc["servers"]) > 3 else ""}">
<div id="steps-section">
<h2>Steps</h2>
{steps_table(doc)}
</div>
<aside id="state-panel">
<h2 id="state-heading">State</h2>
<div id="state-view"></div>
</aside>
</section>
</main>
<script type="application/json" id="cex-data">{embedded_json(doc)}</script>
<script>
{asset("report.js")}</script>
</body>
</html>
"""
