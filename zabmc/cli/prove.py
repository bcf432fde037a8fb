"""``zabmc prove``: bounded model checking and (k-)induction with z3.

The invariant is one of the spec's, as written in the property language
(``spec/protocol/invariants.zprop``), or one from a ``--lemmas FILE``; every
other invariant of the lemmas files is a lemma, proved together with it.
Exit codes: 0 proved, 1 a counterexample or a counterexample to induction,
2 a usage or input error, or z3 gave up (unknown, with its reason).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from zabmc.cli.errors import InputError
from zabmc.cli.options import Setup, setup, with_output_options, with_spec_options, write_report
from zabmc.cli.properties import read_property_file
from zabmc.engine import Discovery, Step
from zabmc.properties import PropertyError, load, with_properties
from zabmc.properties.check import Checker
from zabmc.report.counterexample import CounterexampleError, build_document, plain, step_record
from zabmc.report.counterexample import verify as verify_document
from zabmc.report.servers import server_chart
from zabmc.report.text import step_lines, value_text
from zabmc.symbolic.compile import SymbolicFormula
from zabmc.symbolic.prove import RESTART, RESTARTS, Outcome, bmc
from zabmc.symbolic.prove import induction as k_induction
from zabmc.symbolic.within import bmc_within

#: BMC over bit-vectors starts with channels of this many messages and grows them when
#: a path fills one (exact all the same: see zabmc.symbolic.prove._bmc_sat).
FIRST_CAPACITY = 2


@click.command()
@with_spec_options
@click.option(
    "--lemmas",
    "lemmas_paths",
    multiple=True,
    metavar="FILE",
    help="lemmas to prove with it (repeatable: the files' lemmas together)",
)
@click.option(
    "--bmc",
    "bmc_depth",
    type=int,
    default=None,
    metavar="K",
    help="bounded model checking to depth K",
)
@click.option("--induction", is_flag=True, help="prove Init => Inv and Inv /\\ Next => Inv'")
@click.option("--k", "k", type=int, default=1, show_default=True, help="k-induction: k steps")
@click.option(
    "--unrolling",
    type=click.Choice(["substitute", "fresh"]),
    default=None,
    help="BMC: Next built once and substituted depth by depth into one incremental solver, "
    "or fresh variables and a new solver per depth [default: the spec's faster way: "
    "substitute for the protocol spec, fresh for the system spec]",
)
@click.option(
    "--encoding",
    type=click.Choice(["bitvector", "int"]),
    default="bitvector",
    show_default=True,
    help="BMC: numbers as bit-vectors of a width exact to depth K, bit-blasted to SAT per depth "
    "with paths in trace normal form and channels grown on demand; or the former z3 Ints with "
    "one incremental solver (for bench/prove.py)",
)
@click.option(
    "--shortest/--no-shortest",
    default=True,
    show_default=True,
    help="BMC over bit-vectors: refute each depth below the one found, so the path is a "
    "shortest one (one SAT problem per depth); or ask once for any path of at most K steps, "
    "often far cheaper, without excluding shorter counterexamples",
)
@click.option(
    "--persistent",
    is_flag=True,
    help="with --no-shortest: where a declared follower receipt (spec/protocol/independence.py) "
    "is enabled, take one (partial-order reduction): a path found is real but may be longer "
    "than a shortest one, and 'proved' covers the reduced paths only",
)
@click.option(
    "--frames",
    is_flag=True,
    help="with --persistent: K counts frames, each a step and the forced receipt after it "
    "if one is enabled (as the explicit reduced search counts a persistent step as no level "
    "of depth): a path of K frames may have up to 2K steps",
)
@click.option(
    "--receipt-frames",
    "receipt_frames",
    type=int,
    default=None,
    metavar="F",
    help="with --no-shortest: K still counts steps, laid out in F frames, each a step and then "
    "optionally a declared follower receipt (spec/protocol/independence.py): every path is "
    "the spec's, of its own length, and 'proved' covers the paths of at most K steps that "
    "fit in F frames (all of them when F = K)",
)
@click.option(
    "--symmetry",
    is_flag=True,
    help="with --no-shortest: only paths in which servers first appear in the order s1, s2, "
    "... (the spec's servers are interchangeable: 'proved' keeps its meaning)",
)
@click.option(
    "--sat-restart",
    type=click.Choice(RESTARTS),
    default=None,
    help="BMC over bit-vectors: the SAT solver's restart strategy (z3's sat.restart; "
    f"docs/prove.md has the measurements) [default: {RESTART}]",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=int,
    default=0,
    metavar="S",
    help="give z3 S seconds per check [default: none]",
)
@with_output_options
def prove(
    spec_name: str,
    invariants: tuple[str, ...],
    bug: str | None,
    lemmas_paths: tuple[str, ...],
    bmc_depth: int | None,
    induction: bool,
    k: int,
    unrolling: str | None,
    encoding: str,
    shortest: bool,
    persistent: bool,
    frames: bool,
    receipt_frames: int | None,
    symmetry: bool,
    sat_restart: str | None,
    timeout_s: int,
    report_path: str | None,
    report_format: str | None,
    as_json: bool,
    progress: bool,
    **given: Any,
) -> int:
    """Prove an invariant with z3, or find a counterexample.

    --bmc K looks for a shortest path of at most K steps to a state that breaks
    the invariant (--no-shortest: any path of at most K steps, by one query);
    --induction checks that the invariant, with the lemmas of
    every --lemmas FILE, is inductive (--k K for k-induction). A counterexample is
    replayed against the explicit spec and rendered like check's; a
    counterexample to induction shows the state before and after the step.
    """
    if len(invariants) != 1:
        raise InputError("zabmc prove needs exactly one --invariant NAME")
    if (bmc_depth is None) == (not induction):
        raise InputError("choose one of --bmc K and --induction")
    if bmc_depth is not None and bmc_depth < 0:
        raise InputError(f"--bmc must not be negative, got {bmc_depth}")
    if k < 1:
        raise InputError(f"--k must be at least 1, got {k}")
    (name,) = invariants
    spec = setup(spec_name, given, bug, (), report_path, report_format)
    if spec.info.symbolic is None or spec.info.vocabulary is None:
        raise InputError(f"spec {spec.info.name!r} has no z3 encoding; try --spec protocol")
    bitvector = bmc_depth is not None and encoding == "bitvector"
    bitvector = (
        bitvector and unrolling in (None, "substitute") and spec.info.symbolic_bmc is not None
    )
    if persistent and shortest:
        raise InputError("--persistent needs --no-shortest (one query for paths of at most K)")
    if frames and not persistent:
        raise InputError("--frames needs --persistent (a frame is a step and its forced receipt)")
    if receipt_frames is not None:
        if shortest:
            raise InputError(
                "--receipt-frames needs --no-shortest (one query for paths of at most K steps)"
            )
        if persistent or frames:
            raise InputError(
                "--receipt-frames takes a receipt optionally: not with --persistent or --frames"
            )
        if bmc_depth is None or not 1 <= receipt_frames <= bmc_depth:
            raise InputError(
                f"--receipt-frames must be 1 to K (--bmc {bmc_depth}), got {receipt_frames}"
            )
    if symmetry and shortest:
        raise InputError("--symmetry needs --no-shortest (one query for paths of at most K)")
    if symmetry and lemmas_paths:
        raise InputError("--symmetry needs one of the spec's own invariants, without --lemmas")
    if not shortest and not bitvector:
        raise InputError(
            "--no-shortest needs --bmc K over bit-vectors (--spec protocol, --encoding bitvector, "
            "--unrolling substitute)"
        )
    if sat_restart is not None and not bitvector:
        raise InputError("--sat-restart needs --bmc K over bit-vectors (bit-blasted to SAT)")
    restart = sat_restart or RESTART
    capacity = FIRST_CAPACITY
    # the bit-vector width must be exact on the longest path the query can take
    width_depth = None if bmc_depth is None else 2 * bmc_depth if frames else bmc_depth
    try:
        if bitvector:
            symbolic = spec.info.symbolic_bmc(spec.bounds, bug, spec.options, width_depth, capacity)
        else:
            symbolic = spec.info.symbolic(spec.bounds, bug, spec.options)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if induction and not symbolic.induction:
        raise InputError(
            f"zabmc prove --spec {spec.info.name} has bounded model checking only (--bmc K), "
            "not --induction"
        )
    properties = formulas(spec, symbolic, name, lemmas_paths)
    # progress goes to stderr, so it stays on with --json: a z3 check can take minutes
    say = (lambda line: click.echo(f"progress: {line}", err=True)) if progress else None
    mode = f"BMC to depth {bmc_depth}" if bmc_depth is not None else f"{k}-induction"
    if persistent:
        mode += ", declared receipts taken first (--persistent)"
    if frames:
        mode += ", K counts frames of a step and its forced receipt (--frames)"
    if receipt_frames is not None:
        mode += (
            f", in {receipt_frames} frames of a step and optionally a declared receipt "
            "(--receipt-frames)"
        )
    if symmetry:
        mode += ", servers in order of first appearance (--symmetry)"
    if not shortest:
        mode += (
            f" (one query for any path of at most {bmc_depth} steps: "
            "not necessarily a shortest one)"
        )
    lemma_names = [n for n, _ in properties[1:]]
    if not as_json:
        lemmas = f", lemmas {', '.join(lemma_names)}" if lemma_names else ""
        click.echo(f"zabmc prove: {spec.describe()}, invariant {name}{lemmas}, {mode}")
    started = time.monotonic()
    if bitvector:
        assert bmc_depth is not None
        checks: list[dict[str, Any]] = []
        start = 0
        while True:
            if shortest:
                outcome = bmc(
                    symbolic.spec,
                    properties,
                    bmc_depth,
                    progress=say,
                    timeout_ms=timeout_s * 1000,
                    start=start,
                    restart=restart,
                )
            else:
                outcome = bmc_within(
                    symbolic.spec,
                    properties,
                    bmc_depth,
                    progress=say,
                    timeout_ms=timeout_s * 1000,
                    persistent=persistent,
                    symmetry=symmetry,
                    frames=frames,
                    receipt_frames=receipt_frames,
                    restart=restart,
                )
            checks += outcome.checks
            if outcome.verdict != "overflow":
                break
            capacity += 1
            if shortest:
                # the depths before were refuted with small channels, so for larger ones too
                start = outcome.depth
                if say is not None:
                    say(f"depth {start}: a channel can fill up; channels of {capacity} from here")
            elif say is not None:
                say(
                    f"a path of {outcome.depth} steps fills a channel; "
                    f"channels of {capacity}, asked again"
                )
            symbolic = spec.info.symbolic_bmc(spec.bounds, bug, spec.options, width_depth, capacity)
            properties = formulas(spec, symbolic, name, lemmas_paths)
        outcome.checks = checks
    elif bmc_depth is not None:
        outcome = bmc(
            symbolic.spec,
            properties,
            bmc_depth,
            progress=say,
            timeout_ms=timeout_s * 1000,
            unrolling=unrolling or symbolic.unrolling,
        )
    else:
        outcome = k_induction(
            symbolic.spec, properties, k, progress=say, timeout_ms=timeout_s * 1000
        )
    elapsed = time.monotonic() - started
    doc = None
    if outcome.verdict == "counterexample":
        search = (
            {"strategy": "bmc", "depth": bmc_depth, "shortest": shortest}
            | ({"frames": True} if frames else {})
            | ({"receipt_frames": receipt_frames} if receipt_frames is not None else {})
            if bmc_depth is not None
            else {"strategy": "induction", "k": k}
        )
        same = getattr(symbolic.spec, "matches", None) or _same
        doc = counterexample_document(spec, outcome, name, lemmas_paths, search, same)
    elif outcome.verdict == "cti":
        doc = cti_document(spec, outcome, name, lemmas_paths, k)
    if doc is not None and report_path is not None and spec.report_format is not None:
        write_report(doc, report_path, spec.report_format)
    if as_json:
        payload = {
            "spec": spec.info.name,
            "bug": bug,
            "params": spec.bounds,
            "invariant": name,
            "lemmas": lemma_names,
            "mode": "bmc" if bmc_depth is not None else "induction",
            "depth": bmc_depth if bmc_depth is not None else k,
            "verdict": outcome.verdict,
            "encoding": encoding if bitvector else "int" if bmc_depth is not None else None,
            # False: the path has at most `depth` steps, and shorter ones were not excluded
            "shortest": shortest if bmc_depth is not None else None,
            # True: paths take a declared receipt whenever one is enabled ("proved" is of those)
            "persistent": persistent if bmc_depth is not None else None,
            "frames": frames if bmc_depth is not None else None,
            # F: the paths of at most K steps laid out in F frames (every one of them if F = K)
            "receipt_frames": receipt_frames,
            "symmetry": symmetry if bmc_depth is not None else None,
            "channel_capacity": capacity if bitvector else None,
            "reason": outcome.reason or None,
            "broken": outcome.broken,
            "seconds": round(elapsed, 3),
            "checks": outcome.checks,
            "counterexample": doc,
        }
        json.dump(payload, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_outcome(
            spec, outcome, name, mode, elapsed, doc, shortest, persistent, frames, receipt_frames
        )
        if report_path is not None and doc is not None:
            click.echo(f"Report written to {report_path}.")
    if outcome.verdict == "unknown":
        click.echo(f"zabmc: error: z3 gave up (unknown): {outcome.reason}", err=True)
        return 2
    return 0 if outcome.verdict == "proved" else 1


def formulas(
    spec: Setup, symbolic: Any, name: str, lemmas_paths: tuple[str, ...]
) -> list[tuple[str, Any]]:
    """The invariant first, then the lemmas, each as a function of a symbolic state."""
    checker = Checker(spec.info.vocabulary(spec.bounds))
    shipped = dict(
        checker.add_file(symbolic.invariants.read_text(encoding="utf-8"), str(symbolic.invariants))
    )
    lemmas: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for path in lemmas_paths:
        # the lemmas may use the shipped invariants, and an earlier file's, by name
        for lemma, term in checker.add_file(read_property_file(path), path):
            lemmas[lemma] = term
            sources[lemma] = path
    if name in lemmas:
        term = lemmas.pop(name)
    elif name in shipped:
        term = shipped[name]
    else:
        known = sorted({*shipped, *lemmas})
        raise InputError(f"unknown invariant {name!r}; choose from: {', '.join(known)}")
    compiled = []
    for label, t in [(name, term), *lemmas.items()]:
        source = sources[label] if label in lemmas else str(symbolic.invariants)
        formula = SymbolicFormula(symbolic.binding, source)
        formula.holds(t, symbolic.spec.fresh_state("check"))  # refuse what cannot be encoded now
        compiled.append((label, lambda s, t=t, f=formula: f.holds(t, s)))
    return compiled


def replay(
    spec: Setup, outcome: Outcome, same: Callable[[Any, Any], bool] | None = None
) -> list[Step]:
    """The path z3 found, replayed on the explicit spec: each step must be enabled and agree.

    ``same`` compares an explicit state with a decoded one (by default: equal but for the
    ghosts the protocol spec's encoding leaves out); a spec whose encoding decodes to a
    view of the state gives its own (``matches``).
    """
    same = same or _same
    model = spec.model
    (first,) = [s for s in model.init_states() if same(s, outcome.states[0])] or [None]
    if first is None:
        raise PropertyError("zabmc prove", None, "z3's path does not start in an initial state")
    path = [Step(None, first)]
    for k, (action, expected) in enumerate(
        zip(outcome.actions, outcome.states[1:], strict=True), 1
    ):
        after = model.apply(path[-1].state, action)
        if after is None or not same(after, expected):
            raise PropertyError(
                "zabmc prove",
                None,
                f"step {k}: {model.format_action(action)} of z3's path does not replay on the spec "
                "(the encoding and the spec disagree; please report it)",
            )
        path.append(Step(action, after))
    return path


def _same(explicit: Any, decoded: Any) -> bool:
    """Equal but for ghost variables the encoding leaves out."""
    ghosts = getattr(explicit, "_fields", ())
    if "proposal_msgs_log" in ghosts:
        return explicit._replace(proposal_msgs_log=()) == decoded._replace(proposal_msgs_log=())
    return explicit == decoded


def counterexample_document(
    spec: Setup,
    outcome: Outcome,
    name: str,
    lemmas_paths: tuple[str, ...],
    search: dict[str, Any],
    same: Callable[[Any, Any], bool] | None = None,
) -> dict[str, Any]:
    """The path as a counterexample document, re-validated.

    For a built-in invariant, exactly as ``zabmc report`` checks a file: every
    step replays on the spec and the invariant first breaks in the last state.
    For one from a lemmas file, the steps replay and the formula, evaluated
    on the explicit states, first breaks in the last state.
    """
    from zabmc.cli.specs import SPECS

    path = replay(spec, outcome, same)
    model = spec.model
    builtin = any(p.name == name for p in model.properties())
    if not builtin:
        texts = [(read_property_file(path), path) for path in lemmas_paths]
        (user,) = [p for p in load(spec.info.vocabulary(spec.bounds), texts) if p.name == name]
        verdicts = [user.holds(step.state) for step in path]
        if verdicts[-1] or not all(verdicts[:-1]):
            raise PropertyError(
                "zabmc prove",
                None,
                f"the explicit spec does not confirm that the path breaks {name}",
            )
        model = with_properties(model, [user], keep=True)
    discovery = Discovery("invariant", name, tuple(path))
    doc = build_document(
        model,
        discovery,
        spec=spec.info.name,
        bug=spec.bug,
        bounds=spec.bounds,
        options=spec.options,
        search=search,
    )
    if builtin:
        try:
            verify_document(json.loads(json.dumps(doc)), "zabmc prove", SPECS)
        except CounterexampleError as exc:
            raise PropertyError(
                "zabmc prove", None, f"the counterexample does not re-validate: {exc}"
            ) from None
    return doc


def cti_document(
    spec: Setup, outcome: Outcome, name: str, lemmas_paths: tuple[str, ...], k: int
) -> dict[str, Any]:
    """A counterexample to induction as a document the report formats render."""
    model = spec.model
    lemmas = ", ".join(lemmas_paths) or None
    steps = [step_record(model, 0, None, Step(None, outcome.states[0]))]
    steps[0]["label"] = "pre-state: the invariant and every lemma hold (not necessarily reachable)"
    for idx, (action, state) in enumerate(zip(outcome.actions, outcome.states[1:], strict=True), 1):
        steps.append(step_record(model, idx, outcome.states[idx - 1], Step(action, state)))
    broken = ", ".join(outcome.broken)
    pre = model.format_state(outcome.states[0])
    pre_text = "; ".join(f"{key} = {value_text(value)}" for key, value in pre.items())
    return {
        "format": "zabmc-counterexample",
        "version": 1,
        "trace_id": "cti",
        "zabmc_version": __import__("zabmc").__version__,
        "spec": spec.info.name,
        "bug": spec.bug,
        "bounds": dict(spec.bounds),
        "options": {key: v for key, v in spec.options.items() if v},
        "search": {"strategy": "induction", "k": k, "lemmas": lemmas},
        "seed": None,
        "kind": "cti",
        "invariant": {
            "name": name,
            "statement": f"{name}, with the lemmas of {lemmas or 'none'}",
            "explanation": "",
        },
        "explanation": (
            f"Counterexample to induction: the step from a state where {name} and every lemma "
            f"hold leads to a state where {broken} does not. Either the step is unreachable from "
            "such a state in real runs (then a lemma that excludes the pre-state is missing) or "
            f"{name} is not an invariant. The pre-state: {pre_text}."
        ),
        "servers": list(server_chart(model).server_names()),
        "initial_state": None,
        "length": len(steps) - 1,
        "steps": plain(steps),
        "broken": outcome.broken,
    }


def print_outcome(
    spec: Setup,
    outcome: Outcome,
    name: str,
    mode: str,
    elapsed: float,
    doc: Any,
    shortest: bool = True,
    reduced: bool = False,
    frames: bool = False,
    receipt_frames: int | None = None,
) -> None:
    checks = len(outcome.checks)
    unit = "frames (a step and its forced receipt each)" if frames else "steps"
    if outcome.verdict == "proved":
        what = (
            "is inductive"
            if mode.endswith("induction")
            else f"holds on every path of at most {outcome.depth} steps"
        )
        if reduced:
            # the reduction keeps every violation, but maybe only on a longer path
            what = (
                f"holds on every reduced path of at most {outcome.depth} {unit} (--persistent: "
                "a violation of the spec may need more steps in reduced form)"
            )
        if receipt_frames is not None and receipt_frames < outcome.depth:
            # the frames hold only the paths whose receipts pair up with the steps before them
            what = (
                f"holds on every path of at most {outcome.depth} steps that fits in "
                f"{receipt_frames} frames of a step and optionally a declared receipt "
                "(--receipt-frames: not every path of that length fits)"
            )
        click.echo(f"Proved: {name} {what} ({checks} z3 checks, {elapsed:.1f} s).")
        return
    if outcome.verdict == "unknown":
        click.echo(f"Unknown at depth {outcome.depth}: {outcome.reason} ({elapsed:.1f} s).")
        return
    if outcome.verdict == "counterexample":
        click.echo(
            f"Invariant {name} is violated, {outcome.depth} steps from an initial state "
            f"(z3, {elapsed:.1f} s; replayed on the spec and re-validated as zabmc report does)."
        )
        if not shortest:
            click.echo(
                "Shorter counterexamples were not excluded (--no-shortest): "
                "a shortest one needs the per-depth BMC (the default)."
            )
    else:
        click.echo(
            f"Counterexample to induction: {', '.join(outcome.broken)} breaks after "
            f"{outcome.depth} step(s) from states where {name} and every lemma hold "
            f"({elapsed:.1f} s)."
        )
    click.echo("")
    for line in step_lines([(s["label"], s["state"]) for s in doc["steps"]]):
        click.echo(line)
    click.echo("")
    click.echo(doc["explanation"])
