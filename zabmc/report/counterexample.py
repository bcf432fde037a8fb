"""The JSON counterexample: the document every report is rendered from (see FORMAT.md).

:func:`build_document` makes one from a model and a discovery; :func:`parse`
reads one back and checks its shape; :func:`verify` replays it against the
spec and refuses it, naming the step, when any step is not the model's own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from zabmc import __version__
from zabmc.engine import Discovery, Model, Property, Step
from zabmc.engine.properties import explain, select_properties
from zabmc.report.diff import changed_fields
from zabmc.report.servers import server_chart

FORMAT = "zabmc-counterexample"
VERSION = 1
DEADLOCK_EXPLANATION = "Deadlock: no action is enabled in the last state."


class CounterexampleError(ValueError):
    """A counterexample file that is malformed or does not replay. The message names the place."""


def plain(value: Any) -> Any:
    """``value`` as JSON has it: tuples become lists, anything unknown its ``str``."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def statement(prop: Property) -> str:
    """The first paragraph of a property's doc, on one line."""
    return " ".join(prop.doc.strip().split("\n\n")[0].split())


def trace_id(
    spec: str,
    bug: str | None,
    bounds: Mapping[str, int],
    options: Mapping[str, Any],
    initial: int,
    actions: Sequence[tuple[str, Any]],
) -> str:
    """A hash of the spec, its bounds and the action sequence: the same on every machine."""
    key = {
        "spec": spec,
        "bug": bug,
        "bounds": dict(bounds),
        "options": {k: v for k, v in options.items() if v},
        "initial_state": initial,
        "actions": [[name, plain(args)] for name, args in actions],
    }
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def step_record(model: Model, index: int, before: Any, step: Step) -> dict[str, Any]:
    """One step as the document holds it: the action, the state after it, what it did."""
    action = step.action
    chart = server_chart(model)
    names = list(chart.server_names())
    status = list(chart.server_status(step.state))
    logs = list(chart.server_logs(step.state))
    servers = [
        {
            "status": status[k] if k < len(status) else None,
            "history": list(logs[k].entries) if k < len(logs) else None,
            "committed": logs[k].committed if k < len(logs) else None,
        }
        for k in range(len(names))
    ]
    record: dict[str, Any] = {
        "index": index,
        "action": None if action is None else action.name,
        "args": [] if action is None else plain(action.args),
        "label": "initial state" if action is None else model.format_action(action),
        "fault": action is not None and model.is_fault(action),
        "state": plain(model.format_state(step.state)),
        "servers": servers,
    }
    events = chart.step_events(before, action, step.state) if action is not None else None
    record["events"] = {
        "sent": [
            {"from": m.src, "to": m.dst, "label": m.label} for m in (events.sent if events else ())
        ],
        "received": [
            {"from": m.src, "to": m.dst, "label": m.label}
            for m in (events.received if events else ())
        ],
        "lost": [
            {"from": src, "to": dst, "count": n} for src, dst, n in (events.lost if events else ())
        ],
        "markers": [{"server": k, "text": text} for k, text in (events.markers if events else ())],
    }
    return record


def build_document(
    model: Model,
    discovery: Discovery,
    *,
    spec: str,
    bug: str | None,
    bounds: Mapping[str, int],
    options: Mapping[str, Any],
    search: Mapping[str, Any],
    seed: int | None = None,
) -> dict[str, Any]:
    """The counterexample document for ``discovery``, a path through ``model``."""
    init = discovery.steps[0].state
    initial = next(k for k, s in enumerate(model.init_states()) if s == init)
    steps = [step_record(model, 0, None, discovery.steps[0])]
    for k in range(1, len(discovery.steps)):
        steps.append(step_record(model, k, discovery.steps[k - 1].state, discovery.steps[k]))
    invariant = None
    if discovery.kind == "invariant" and discovery.property is not None:
        prop = next(p for p in model.properties() if p.name == discovery.property)
        invariant = {
            "name": prop.name,
            "statement": statement(prop),
            "explanation": discovery.explanation
            or explain([prop], prop.name, discovery.steps[-1].state),
        }
    options = {k: v for k, v in options.items() if v}
    actions = [(s["action"], s["args"]) for s in steps[1:]]
    return {
        "format": FORMAT,
        "version": VERSION,
        "trace_id": trace_id(spec, bug, bounds, options, initial, actions),
        "zabmc_version": __version__,
        "spec": spec,
        "bug": bug,
        "bounds": dict(bounds),
        "options": options,
        "search": dict(search),
        "seed": seed,
        "kind": discovery.kind,
        "invariant": invariant,
        "explanation": invariant["explanation"] if invariant else DEADLOCK_EXPLANATION,
        "servers": list(server_chart(model).server_names()),
        "initial_state": initial,
        "length": discovery.length,
        "steps": steps,
    }


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as the file holds it: indented, keys in the documented order."""
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


# Reading a document back.

_TOP: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "version": int,
    "trace_id": str,
    "zabmc_version": str,
    "spec": str,
    "bug": (str, type(None)),
    "bounds": dict,
    "options": dict,
    "search": dict,
    "seed": (int, type(None)),
    "kind": str,
    "invariant": (dict, type(None)),
    "explanation": str,
    "servers": list,
    "initial_state": int,
    "length": int,
    "steps": list,
}
_STEP: dict[str, type | tuple[type, ...]] = {
    "index": int,
    "action": (str, type(None)),
    "args": list,
    "label": str,
    "fault": bool,
    "state": dict,
    "servers": list,
    "events": dict,
}


def _require(obj: Mapping[str, Any], fields: Mapping[str, Any], where: str) -> None:
    for key, kind in fields.items():
        if key not in obj:
            raise CounterexampleError(f"{where}: missing key {key!r}")
        value = obj[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise CounterexampleError(
                f"{where}: {key!r} has the wrong type ({type(value).__name__})"
            )


def parse(text: str, source: str) -> dict[str, Any]:
    """The document in ``text`` (read from ``source``), its shape checked."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CounterexampleError(
            f"{source}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise CounterexampleError(f"{source}: not a counterexample (a JSON object is expected)")
    if doc.get("format") != FORMAT:
        raise CounterexampleError(f"{source}: not a counterexample ('format' is not {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise CounterexampleError(
            f"{source}: format version {doc.get('version')!r} is not supported "
            f"(this zabmc reads version {VERSION})"
        )
    _require(doc, _TOP, source)
    if not doc["steps"]:
        raise CounterexampleError(f"{source}: 'steps' is empty")
    for k, step in enumerate(doc["steps"]):
        if not isinstance(step, dict):
            raise CounterexampleError(f"{source}: step {k}: not a JSON object")
        _require(step, _STEP, f"{source}: step {k}")
        if step["index"] != k:
            raise CounterexampleError(f"{source}: step {k}: 'index' is {step['index']}")
        if (step["action"] is None) != (k == 0):
            raise CounterexampleError(
                f"{source}: step {k}: "
                + ("the initial state has an action" if k == 0 else "'action' is null")
            )
    if doc["length"] != len(doc["steps"]) - 1:
        raise CounterexampleError(
            f"{source}: 'length' is {doc['length']} but there are {len(doc['steps']) - 1} steps"
        )
    return doc


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _difference(recorded: Mapping[str, Any], replayed: Mapping[str, Any]) -> str:
    """The first field where a recorded step differs from the replayed one, in words."""
    for key, value in replayed.items():
        if recorded.get(key) == value:
            continue
        if key == "state":
            changes = changed_fields(value, recorded[key])
            extra = [k for k in recorded[key] if k not in value]
            if extra:
                return f"the state has a variable the spec does not: {extra[0]}"
            if changes:
                path, spec_value, file_value = changes[0]
                return (
                    f"{path} is {_short(file_value)} in the file "
                    f"but {_short(spec_value)} in the spec"
                )
        return f"{key!r} is {_short(recorded.get(key))} in the file but {_short(value)} in the spec"
    return "it differs from the spec"


class NamedBound(Protocol):
    @property
    def name(self) -> str: ...


class SpecEntry(Protocol):
    """What replaying a document asks of a spec's catalogue entry (the command line's
    ``SpecInfo`` is one): its bounds, bugs and options by name, and how to build it."""

    @property
    def name(self) -> str: ...
    @property
    def bounds(self) -> Sequence[NamedBound]: ...
    @property
    def bugs(self) -> Mapping[str, str]: ...
    @property
    def options(self) -> Mapping[str, str]: ...
    @property
    def build(self) -> Callable[[Mapping[str, int], str | None, Mapping[str, Any]], Model]: ...


def verify(doc: Mapping[str, Any], source: str, specs: Mapping[str, SpecEntry]) -> Model:
    """Replay ``doc`` against its spec; the model when every step is the spec's own.

    Raises :class:`CounterexampleError` naming the first step that does not
    replay, or the field that does not match.
    """
    return verified_path(doc, source, specs)[0]


def verified_path(
    doc: Mapping[str, Any], source: str, specs: Mapping[str, SpecEntry]
) -> tuple[Model, list[Step]]:
    """:func:`verify`, with the path it replayed: the spec's states, initial state first."""
    info = specs.get(doc["spec"])
    if info is None:
        raise CounterexampleError(
            f"{source}: unknown spec {doc['spec']!r}; choose from: {', '.join(specs)}"
        )
    names = [b.name for b in info.bounds]
    if sorted(doc["bounds"]) != sorted(names) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in doc["bounds"].values()
    ):
        raise CounterexampleError(
            f"{source}: 'bounds' must give exactly {', '.join(names)} as integers"
        )
    if doc["bug"] is not None and doc["bug"] not in info.bugs:
        raise CounterexampleError(
            f"{source}: unknown bug {doc['bug']!r} for spec {info.name!r}; "
            f"choose from: {', '.join(info.bugs)}"
        )
    unknown = [k for k in doc["options"] if k not in info.options]
    if unknown:
        raise CounterexampleError(f"{source}: unknown option {unknown[0]!r} for spec {info.name!r}")
    try:
        model = info.build(doc["bounds"], doc["bug"], doc["options"])
    except ValueError as exc:
        raise CounterexampleError(f"{source}: {exc}") from None
    inits = list(model.init_states())
    if not 0 <= doc["initial_state"] < len(inits):
        raise CounterexampleError(
            f"{source}: 'initial_state' {doc['initial_state']} does not exist"
        )
    steps = doc["steps"]
    path = [Step(None, inits[doc["initial_state"]])]
    first = step_record(model, 0, None, path[0])
    if steps[0] != first:
        raise CounterexampleError(
            f"{source}: step 0 (initial state): {_difference(steps[0], first)}"
        )
    for k in range(1, len(steps)):
        recorded = steps[k]
        before = path[-1].state
        matches = [
            (action, after)
            for action, after in model.successors(before)
            if action.name == recorded["action"] and plain(action.args) == recorded["args"]
        ]
        if not matches:
            raise CounterexampleError(
                f"{source}: step {k}: {recorded['label']} ({recorded['action']} "
                f"{json.dumps(recorded['args'])}) is not enabled after step {k - 1}"
            )
        replayed = None
        for action, after in matches:
            replayed = step_record(model, k, before, Step(action, after))
            if replayed == recorded:
                path.append(Step(action, after))
                break
        else:
            raise CounterexampleError(
                f"{source}: step {k} ({recorded['label']}): {_difference(recorded, replayed)}"
            )
    _verify_outcome(doc, source, model, path)
    return model, path


def _verify_outcome(doc: Mapping[str, Any], source: str, model: Model, path: list[Step]) -> None:
    """The last state is what the document says it is, and the trace id is the path's."""
    last = len(path) - 1
    if doc["kind"] == "invariant":
        inv = doc["invariant"]
        if not isinstance(inv, dict) or not isinstance(inv.get("name"), str):
            raise CounterexampleError(f"{source}: 'invariant' must name the violated invariant")
        try:
            invariants, _ = select_properties(model, [inv["name"]])
        except ValueError as exc:
            raise CounterexampleError(f"{source}: {exc}") from None
        prop = invariants[0]
        broken = [k for k, step in enumerate(path) if not prop.condition(step.state)]
        if not broken:
            raise CounterexampleError(f"{source}: step {last}: {prop.name} holds in every state")
        if broken[0] != last:
            raise CounterexampleError(
                f"{source}: step {broken[0]}: {prop.name} is already broken here, "
                f"before the last step ({last})"
            )
        expected = {
            "name": prop.name,
            "statement": statement(prop),
            "explanation": explain([prop], prop.name, path[-1].state),
        }
        if inv != expected or doc["explanation"] != expected["explanation"]:
            raise CounterexampleError(
                f"{source}: step {last}: the invariant's statement or explanation is not the spec's"
            )
    elif doc["kind"] == "deadlock":
        if next(iter(model.successors(path[-1].state)), None) is not None:
            raise CounterexampleError(
                f"{source}: step {last}: not a deadlock (an action is enabled)"
            )
        if doc["invariant"] is not None or doc["explanation"] != DEADLOCK_EXPLANATION:
            raise CounterexampleError(f"{source}: a deadlock names no invariant")
    else:
        raise CounterexampleError(f"{source}: unknown kind {doc['kind']!r}")
    if doc["servers"] != list(server_chart(model).server_names()):
        raise CounterexampleError(f"{source}: 'servers' is not the spec's list of servers")
    expected_id = trace_id(
        doc["spec"],
        doc["bug"],
        doc["bounds"],
        doc["options"],
        doc["initial_state"],
        [(s["action"], s["args"]) for s in doc["steps"][1:]],
    )
    if doc["trace_id"] != expected_id:
        raise CounterexampleError(
            f"{source}: trace id {doc['trace_id']!r} is not the hash of these steps ({expected_id})"
        )
