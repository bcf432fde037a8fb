"""A verdict for people: text for the terminal, and one self-contained HTML page with the
failing sub-history as a timeline (one lane per session, each operation a bar from its
invocation to its reply, faults as red lines), in the style of the counterexample report."""

from __future__ import annotations

import math
from html import escape

from zabmc.lincheck.check import Verdict
from zabmc.lincheck.history import History, Operation
from zabmc.report.html import asset


def _origin(history: History) -> int:
    times = [o.inv for o in history.operations] + [n["time"] for n in history.nemesis]
    return min(times, default=0)


def _ms(t: float, origin: int) -> str:
    return "?" if math.isinf(t) else f"{(t - origin) / 1e6:.3f}"


def operation_line(o: Operation, origin: int) -> str:
    span = f"[{_ms(o.inv, origin):>10} .. {_ms(o.ret, origin):>10}] ms"
    return f"  {span}  session {o.session:<20} {o.text()}  (line {o.line})"


def verdict_text(verdict: Verdict, history: History) -> str:
    sessions = len({o.session for o in history.operations})
    head = (
        f"{history.source}: {verdict.outcome} ({verdict.operations:,} operations, "
        f"{sessions} sessions, {len(verdict.parts)} independent key sets, "
        f"{verdict.explored:,} configurations explored)"
    )
    lines = [head]
    if verdict.outcome == "unknown":
        lines.append(f"  unknown: {verdict.reason}")
    if verdict.outcome == "violation":
        origin = _origin(history)
        timed = [o for o in verdict.witness if o.status == "ok" and not math.isinf(o.ret)]
        untimed = [o for o in verdict.witness if o.status == "ok" and math.isinf(o.ret)]
        unknown = [o for o in verdict.witness if o.status != "ok"]
        lines.append(
            f"No order of the operations on {', '.join(verdict.failing_keys)} keeps "
            "ZooKeeper's guarantees. The smallest failing sub-history found: these "
            f"{len(timed)} operations, with their results and times,"
        )
        lines += [operation_line(o, origin) for o in timed]
        for ops, what in (
            (untimed, "writes that took effect with their results, their reply times forgotten"),
            (unknown, "writes of unknown outcome (reply lost)"),
        ):
            if ops:
                lines.append(f"with {len(ops)} {what}:")
                shown = ops if len(ops) <= 6 else ops[:3] + ops[-3:]
                lines += [operation_line(o, origin) for o in shown[:3]]
                if len(shown) < len(ops):
                    lines.append(f"  ... {len(ops) - len(shown)} more (all in --html)")
                lines += [operation_line(o, origin) for o in shown[3:]]
    return "\n".join(lines)


_CSS = """
.timeline { display: block; font-family: system-ui, sans-serif; }
.timeline .lane-name { font: 12px ui-monospace, monospace; fill: var(--ink); }
.timeline .lane-line { stroke: #e5e7eb; }
.timeline .op rect { fill: #dbeafe; stroke: #2563eb; }
.timeline .op.read rect { fill: #dcfce7; stroke: #15803d; }
.timeline .op.unknown rect { fill: #f3f4f6; stroke: #9ca3af; stroke-dasharray: 4 3; }
.timeline .op text { font: 11px ui-monospace, monospace; fill: #111827; }
.timeline .fault line { stroke: var(--bad); stroke-width: 1.5; stroke-dasharray: 3 3; }
.timeline .fault text { font-size: 10.5px; font-weight: 700; fill: var(--bad); }
.timeline .axis { font-size: 10px; fill: var(--muted); }
#ops td, #ops th { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--rule);
  font-family: ui-monospace, monospace; font-size: 12px; }
"""


def timeline_svg(ops: list[Operation], history: History) -> str:
    """The operations with known reply times as bars on one lane per session, over their
    span; the others that begin in it as dashed stubs from their invocation; faults in it as
    red lines."""
    timed = [o for o in ops if o.status == "ok" and not math.isinf(o.ret)] or ops
    if not timed:
        return ""
    start = min(o.inv for o in timed)
    end = max(o.ret if not math.isinf(o.ret) else o.inv for o in timed) + 1
    shown = [o for o in ops if start <= o.inv <= end]
    order = sorted(
        {o.session for o in shown}, key=lambda s: min(o.inv for o in shown if o.session == s)
    )
    lane = {s: i for i, s in enumerate(order)}
    span = max(end - start, 1)
    left, width, row = 190, 1100, 34
    x = lambda t: left + (min(t, end) - start) * width / span  # noqa: E731
    height = 40 + row * len(order)
    parts = [f'<svg class="timeline" width="{left + width + 60}" height="{height}">']
    for s, i in lane.items():
        y = 30 + i * row
        parts.append(f'<text class="lane-name" x="4" y="{y + 16}">{escape(s[:24])}</text>')
        parts.append(
            f'<line class="lane-line" x1="{left}" x2="{left + width}" y1="{y + 28}" y2="{y + 28}"/>'
        )
    for fault in history.nemesis:
        if start <= fault["time"] <= end:
            fx = x(fault["time"])
            label = escape(f"{fault.get('fault', '')} {fault.get('detail', '')}".strip())
            parts.append(
                f'<g class="fault"><line x1="{fx:.1f}" x2="{fx:.1f}" y1="12" y2="{height}"/>'
                f'<text x="{fx + 3:.1f}" y="12">{label}</text></g>'
            )
    for o in shown:
        y = 30 + lane[o.session] * row
        stub = o.status != "ok" or math.isinf(o.ret)
        x0 = x(o.inv)
        w = 30 if stub else max(x(o.ret) - x0, 3)
        kind = "unknown" if stub else "read" if not o.can_change_state else "write"
        text = escape(o.text())
        parts.append(
            f'<g class="op {kind}"><title>{text} (line {o.line})</title>'
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{w:.1f}" height="22" rx="3"/>'
            f'<text x="{x0 + 3:.1f}" y="{y + 19}">{text}</text></g>'
        )
    origin = _origin(history)
    parts.append(
        f'<text class="axis" x="{left}" y="{height - 2}">{_ms(start, origin)} ms</text>'
        f'<text class="axis" x="{left + width - 60}" y="{height - 2}">'
        f"{_ms(end, origin)} ms</text></svg>"
    )
    return "\n".join(parts)


def verdict_html(verdict: Verdict, history: History) -> str:
    """The whole page for a violation (or any verdict: then without a timeline)."""
    origin = _origin(history)
    title = f"{verdict.outcome}: {history.source}"
    facts = [
        ("history", history.source),
        ("operations", f"{verdict.operations:,}"),
        ("keys that fail", ", ".join(verdict.failing_keys) or "—"),
        ("configurations explored", f"{verdict.explored:,}"),
        *((k, str(v)) for k, v in history.header.items() if k not in ("type", "format")),
    ]
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in facts)
    ops = sorted(verdict.witness, key=lambda o: o.inv)
    table = "".join(
        f"<tr><td>{_ms(o.inv, origin)}</td><td>{_ms(o.ret, origin)}</td>"
        f"<td>{escape(o.session)}</td><td>{escape(o.text())}</td><td>{o.line}</td></tr>"
        for o in ops
    )
    explanation = {
        "violation": "No total order of these operations keeps ZooKeeper's guarantees "
        "(linearizable writes, each session in order, reads sequentially consistent and "
        "linearizable after sync). The timeline spans the operations whose reply times the "
        "evidence needs; grey dashed stubs mark the invocations of writes whose outcome is "
        "unknown or whose reply time it does not need (every operation is in the table).",
        "unknown": f"The search gave up: {verdict.reason}.",
        "linearizable": "The history keeps ZooKeeper's guarantees.",
    }[verdict.outcome]
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>
{asset("report.css")}{_CSS}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p class="explanation">{escape(explanation)}</p>
<table class="facts">{rows}</table>
</header>
<main>
<section>
<h2>The failing sub-history</h2>
<div class="chart-scroll">
{timeline_svg(ops, history)}
</div>
</section>
<section>
<h2>Operations</h2>
<table id="ops"><tr><th>invoked (ms)</th><th>answered (ms)</th><th>session</th>
<th>operation</th><th>line</th></tr>{table}</table>
</section>
</main>
</body>
</html>
"""
