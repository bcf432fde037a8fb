"""A divergence as a reader sees it: the event, the states side by side, what the spec allowed."""

from __future__ import annotations

from zabmc.replay.verdict import Divergence


def divergence_text(d: Divergence) -> str:
    m = d.mismatch
    args = ", ".join(str(a) for a in d.args)
    lines = [f"  recorded event {d.index} at {d.where}: {d.action}({args}) by server {d.server}"]
    if d.msg != "none":
        lines.append(f"    taking {d.msg}")
    if d.previous:
        lines.append("  the events before it:")
        lines += [f"    {p}" for p in d.previous]
    if m.kind == "disabled" and m.guard is None:  # a model-guided run: no guard to name
        lines.append(f"  {m.summary}")
    elif m.kind == "disabled":
        lines.append(f'  the spec does not allow it: the guard fails at "{m.guard}"')
    elif m.kind == "breach":
        lines.append(f"  the spec's step fails its check {m.guard}")
    elif m.kind == "message":
        lines.append(f"  {m.summary}")
    else:
        lines.append("  the step leaves another state than the spec's:")
    differing = {f.name for f in m.fields}
    width = max(len(name) for name in d.recorded_state)
    lines.append(f"  server {d.server}, {'field':<{width}}  recorded | spec")
    uncompared = False
    for name, recorded in d.recorded_state.items():
        expected = d.expected_state[name]
        mark = "!" if name in differing else " "
        if m.kind == "state" and name not in differing and recorded != expected:
            mark, uncompared = "~", True
        lines.append(f"  {mark} {name:<{width}}  {recorded} | {expected}")
    if uncompared:
        # only after a step the spec took do both columns describe the same moment
        lines.append(
            "  (~: differs, but the spec does not determine it at this step; "
            "see compared() in zabmc/replay/bindings/system.py)"
        )
    enabled = ", ".join(d.enabled) if d.enabled else "nothing"
    lines.append(f"  enabled in the spec here: {enabled}")
    return "\n".join(lines)
