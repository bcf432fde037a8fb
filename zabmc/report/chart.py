"""A message sequence chart of a counterexample document, as SVG.

Time runs down, one row per step; each server has a lane. A message is an
arrow from the row of the step that sent it to the row of the step that
received it, on the receiver's lane. Channels are FIFO per ordered pair, so
the k-th message received (or lost) on (src, dst) is the k-th one sent there.
A lane is coloured by the server's role and labelled where its role or phase
changes; faults and other markers are red notes on the lane.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from zabmc.report.summary import step_changes

GUTTER = 300  # the step-label column
HEADER = 52
ROW = 30
MARGIN = 200  # room right of the last lane for its labels
#: Colours for roles (the status text before "/"), given out in order of appearance.
ROLE_COLOURS = ("#6b7280", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777")
#: Lanes spread to fill about this width, within the bounds below.
CHART_WIDTH, MIN_GAP, MAX_GAP = 1150, 170, 300


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


class Labels:
    """The boxes that text already covers, so that later labels can step aside.

    Widths are estimated from the number of characters; that is close enough to
    keep labels from overprinting one another.
    """

    def __init__(self) -> None:
        self.boxes: list[Box] = []

    @staticmethod
    def box(x: float, y: float, body: str, size: float, anchor: str) -> Box:
        width = len(body) * size * 0.58
        x0 = x - width / 2 if anchor == "middle" else x
        return (x0, y - size, x0 + width, y + 2)

    def free(self, box: Box) -> bool:
        return not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.boxes
        )

    def take(self, box: Box) -> None:
        self.boxes.append(box)


#: Where along an arrow its label may go, tried in this order.
LABEL_SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78)


@dataclass
class Arrow:
    """One message: where it was sent, and where it was received, lost or still in flight."""

    src: int
    dst: int
    label: str
    sent: int  # the step that sent it (0: already in the initial state)
    end: int = -1  # the step that received or lost it; len(steps) while in flight
    fate: str = "in-flight"  # "delivered", "lost" or "in-flight"


def pair_messages(steps: Sequence[Mapping[str, Any]]) -> list[Arrow]:
    """Every message of the path, each send paired FIFO with its receipt or loss."""
    arrows: list[Arrow] = []
    pending: dict[tuple[int, int], deque[Arrow]] = {}

    def take(src: int, dst: int, label: str) -> Arrow:
        queue = pending.get((src, dst))
        if queue:
            return queue.popleft()
        arrow = Arrow(src, dst, label, 0)  # it was in the initial state
        arrows.append(arrow)
        return arrow

    for k, step in enumerate(steps):
        events = step["events"]
        for m in events["received"]:
            arrow = take(m["from"], m["to"], m["label"])
            arrow.end, arrow.fate = k, "delivered"
        for lost in events["lost"]:
            for _ in range(lost["count"]):
                arrow = take(lost["from"], lost["to"], "?")
                arrow.end, arrow.fate = k, "lost"
        for m in events["sent"]:
            arrow = Arrow(m["from"], m["to"], m["label"], k)
            arrows.append(arrow)
            pending.setdefault((m["from"], m["to"]), deque()).append(arrow)
    for arrow in arrows:
        if arrow.fate == "in-flight":
            arrow.end = len(steps)
    return arrows


def lane_gap(servers: int) -> int:
    """The distance between lanes: wide for a few servers, never too narrow for labels."""
    if servers <= 1:
        return MAX_GAP
    return max(MIN_GAP, min(MAX_GAP, (CHART_WIDTH - GUTTER - MARGIN) // (servers - 1)))


def row_y(k: int) -> float:
    return HEADER + ROW * k + ROW / 2


def role_colours(steps: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """A colour per role, in the order roles first appear (so the same trace, the same colours)."""
    colours: dict[str, str] = {}
    for step in steps:
        for server in step["servers"]:
            role = (server["status"] or "").split("/")[0]
            if role and role not in colours:
                colours[role] = ROLE_COLOURS[len(colours) % len(ROLE_COLOURS)]
    return colours


def touched(doc: Mapping[str, Any]) -> list[set[int]]:
    """For each step, the servers whose own variables it changed."""
    index = {name: k for k, name in enumerate(doc["servers"])}
    result = []
    for changes in step_changes(doc):
        hit = set()
        for path, _, _ in changes:
            if path.endswith("]"):
                key = path[path.rfind("[") + 1 : -1]
                if key in index:
                    hit.add(index[key])
        result.append(hit)
    return result


def text(x: float, y: float, body: str, cls: str, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}"{extra}>'
        f"{escape(body)}</text>"
    )


def sequence_chart(doc: Mapping[str, Any]) -> str:
    """The chart as one ``<svg>`` element, sized to its content."""
    steps, names = doc["steps"], doc["servers"]
    gap = lane_gap(len(names))
    width = GUTTER + gap * max(len(names) - 1, 0) + MARGIN
    height = HEADER + ROW * (len(steps) + 1)
    x = [GUTTER + gap * k for k in range(len(names))]
    colours = role_colours(steps)
    labels = Labels()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="message sequence chart">',
        "<defs>"
        '<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
        'class="head"/></marker></defs>',
    ]
    # rows: a band per step, clickable, with its number and action in the gutter
    for k, step in enumerate(steps):
        top = HEADER + ROW * k
        cls = "row" + (" fault" if step["fault"] else "") + (" odd" if k % 2 else "")
        parts.append(
            f'<g class="{cls}" data-step="{k}"><rect x="0" y="{top}" width="{width}" '
            f'height="{ROW}"/>'
            + text(8, top + ROW / 2 + 4, f"{k:>2}", "step-no")
            + text(34, top + ROW / 2 + 4, clip(step["label"], 38), "step-label")
            + f"<title>{escape(step['label'])}</title></g>"
        )
    # lanes: a name on top, a segment per stretch of one role, a label where the status changes
    for s, name in enumerate(names):
        parts.append(f'<g class="lane" data-server="{escape(name)}">')
        parts.append(text(x[s], 22, name, "lane-name", "middle"))
        parts.append(
            f'<line x1="{x[s]}" y1="{HEADER - 12}" x2="{x[s]}" y2="{height - 4}" '
            'class="lane-line"/>'
        )
        previous = None
        for k, step in enumerate(steps):
            status = step["servers"][s]["status"] if s < len(step["servers"]) else None
            role = (status or "").split("/")[0]
            end = HEADER + ROW * (k + 1) if k < len(steps) - 1 else height - 4
            if role:
                parts.append(
                    f'<rect x="{x[s] - 3}" y="{HEADER + ROW * k}" width="6" '
                    f'height="{end - HEADER - ROW * k}" fill="{colours[role]}" class="role"/>'
                )
            if status and status != previous:
                labels.take(Labels.box(x[s] + 8, row_y(k) - 5, status, 9.5, "start"))
                parts.append(text(x[s] + 8, row_y(k) - 5, status, "status", fill=colours[role]))
            previous = status
        parts.append("</g>")
    # who acted: a dot on each lane whose own variables the step changed
    for k, servers in enumerate(touched(doc)):
        for s in sorted(servers):
            parts.append(f'<circle cx="{x[s]}" cy="{row_y(k)}" r="4" class="acted"/>')
    # markers: crashes, restarts, partitions, timeouts
    for k, step in enumerate(steps):
        for n, marker in enumerate(step["events"]["markers"]):
            s = marker["server"]
            y = row_y(k) + 9 + 11 * n
            labels.take(Labels.box(x[s] + 10, y, marker["text"], 10.5, "start"))
            parts.append(
                f'<g class="marker" data-step="{k}">'
                f'<rect x="{x[s] - 6}" y="{row_y(k) - 6}" width="12" height="12" '
                f'transform="rotate(45 {x[s]} {row_y(k)})"/>'
                + text(x[s] + 10, y, marker["text"], "marker-text")
                + "</g>"
            )
    # messages
    on_top: list[str] = []
    for arrow in pair_messages(steps):
        line, label = arrow_svg(arrow, x, height, labels)
        parts.append(line)
        on_top.append(label)
    # labels last, so no later line crosses them
    parts.append('<g class="msg-labels">' + "".join(on_top) + "</g>")
    parts.append("</svg>")
    return "\n".join(parts)


def arrow_svg(arrow: Arrow, x: Sequence[float], height: float, labels: Labels) -> tuple[str, str]:
    """One message: a line with a head, and its label half way along or where there is room."""
    x1, y1 = x[arrow.src], row_y(arrow.sent)
    if arrow.fate == "in-flight":
        x2, y2 = (x[arrow.src] + x[arrow.dst]) / 2, height - 6
    else:
        x2, y2 = x[arrow.dst], row_y(arrow.end)
    if arrow.src == arrow.dst:  # a message to oneself: a loop to the right
        path = f"M{x1},{y1} C{x1 + 60},{y1} {x2 + 60},{y2} {x2},{y2}"
        spots = [(x1 + 48, (y1 + y2) / 2)]
    else:
        path = f"M{x1},{y1} L{x2},{y2}"
        spots = [(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t - 3) for t in LABEL_SPOTS]
    boxes = [Labels.box(sx, sy, arrow.label, 10.5, "middle") for sx, sy in spots]
    pick = next((k for k, b in enumerate(boxes) if labels.free(b)), 0)
    labels.take(boxes[pick])
    mx, my = spots[pick]
    head = ' marker-end="url(#head)"' if arrow.fate == "delivered" else ""
    lost = ""
    if arrow.fate == "lost":
        lost = (
            f'<path d="M{x2 - 5},{y2 - 5}L{x2 + 5},{y2 + 5}M{x2 - 5},{y2 + 5}L{x2 + 5},{y2 - 5}" '
            'class="lost-x"/>'
        )
    title = f"{arrow.label}: step {arrow.sent} → " + (
        f"step {arrow.end}" if arrow.fate == "delivered" else arrow.fate
    )
    line = (
        f'<g class="arrow {arrow.fate}" data-from="{arrow.src}" data-to="{arrow.dst}" '
        f'data-sent="{arrow.sent}" data-end="{arrow.end}">'
        f'<path d="{path}" class="msg"{head}/>{lost}<title>{escape(title)}</title></g>'
    )
    return line, text(mx, my, arrow.label, "msg-label", "middle")


def clip(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
