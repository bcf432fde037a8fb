"""Full against reduced search, configuration by configuration.

For each configuration of the system spec and of the protocol spec (rows whose
configuration names ``"spec": "protocol"``) it runs the search three times, each in a
fresh process: without reduction, with it (persistent steps, zabmc check's default), and
with Lipton chains as well (``--chains``), and prints the distinct states, the ratio to
the full search, and the wall time of each, with the verdict. The verdicts must agree, and
so must the witnesses of a search that completes; a row where they do not is marked
``DIFFERENT`` and the script exits 1.

    python bench/reduction.py            # the default table (a few minutes)
    python bench/reduction.py --large    # adds 3 servers with the whole protocol
    python bench/reduction.py --spec protocol --large   # the protocol spec's rows only
    python bench/reduction.py --row '{"voters": 2}' full   # one run, as JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from machine import describe, in_fresh_process

#: The default table: every row completes in seconds to a minute on 2 cores.
CONFIGS: list[dict] = [
    {"voters": 2, "max_txns": 1, "max_timeouts": 1},
    {"voters": 2, "max_txns": 1, "max_timeouts": 1, "max_crashes": 1},
    {"voters": 2, "max_txns": 1, "max_timeouts": 1, "max_crashes": 1, "max_partitions": 1},
    {"voters": 2, "max_txns": 2, "max_timeouts": 1, "max_crashes": 1},
    {"voters": 2, "max_txns": 1, "max_timeouts": 1, "max_crashes": 1, "bug": "ZK-2845"},
    {"voters": 2, "observers": 1, "max_txns": 0, "max_timeouts": 0},
    {"voters": 3, "max_txns": 1, "max_timeouts": 1, "coarse_election": True},
    {"voters": 3, "max_txns": 0, "max_timeouts": 0, "max_epoch": 0},  # FLE alone, 3 servers
]

#: The protocol spec (Zab.tla): the CLI's defaults, each bug variant where it shows, the
#: fixed spec at the same bounds.
EXPOSED = {"spec": "protocol", "servers": 3, "max_timeouts": 0, "max_txns": 2, "max_epoch": 2}
CONFIGS += [
    {"spec": "protocol", "servers": 3, "max_timeouts": 1, "max_txns": 1, "max_epoch": 1},
    EXPOSED,
    *({**EXPOSED, "bug": b} for b in ("strict-propose", "propose-to-ackld", "commitld-ackld-zxid")),
    {
        "spec": "protocol",
        "servers": 3,
        "max_timeouts": 1,
        "max_txns": 1,
        "max_epoch": 2,
        "max_restarts": 1,
    },
]

#: Three servers with Fast Leader Election: minutes to hours; the protocol spec at
#: bench/scale.py's protocol-351k bounds (a minute or two).
LARGE: list[dict] = [
    {"voters": 3, "max_txns": 0, "max_timeouts": 0, "max_epoch": 1},
    {"spec": "protocol", "servers": 3, "max_timeouts": 1, "max_txns": 2, "max_epoch": 2},
]


#: full: no reduction; reduced: persistent steps (the default); chains: and Lipton chains.
MODES = ("full", "reduced", "chains")


def run(config: dict, mode: str) -> dict:
    """One search in this process: its figures."""
    from zabmc.engine import CheckOptions, Model, check_bfs
    from zabmc.engine.properties import select_properties
    from zabmc.engine.reduction import reducing_expander

    model: Model
    bounds = {k: v for k, v in config.items() if k != "spec"}
    if config.get("spec") == "protocol":
        from spec.protocol import Params as ProtocolParams
        from spec.protocol import ProtocolModel

        model = ProtocolModel(ProtocolParams(**bounds))
    else:
        from spec.system import Params, SystemModel

        model = SystemModel(Params(**bounds))
    expander = None
    if mode != "full":
        checked, witnesses = select_properties(model, None)
        names = [p.name for p in (*checked, *witnesses)]
        expander = reducing_expander(model, names, chains=mode == "chains")
    began = time.perf_counter()
    result = check_bfs(model, CheckOptions(check_deadlock=False, expander=expander))
    v = result.violation
    return {
        "distinct": result.distinct_states,
        "depth": result.max_depth,
        "verdict": v.property if v else "ok",
        "witnesses": sorted(n for n, d in result.examples.items() if d),
        "wall_s": round(time.perf_counter() - began, 2),
    }


def label(config: dict) -> str:
    short = {"voters": "n", "observers": "obs", "max_txns": "txns", "max_timeouts": "to"}
    short |= {"max_crashes": "crash", "max_partitions": "part", "max_epoch": "epoch"}
    short |= {"servers": "n", "max_restarts": "restarts"}
    skip = ("bug", "coarse_election", "spec")
    parts = [f"{short.get(k, k)}={v}" for k, v in config.items() if k not in skip]
    if config.get("spec") == "protocol":
        parts.insert(0, "protocol")
    if config.get("coarse_election"):
        parts.append("coarse")
    if config.get("bug"):
        parts.append(config["bug"])
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add the larger rows")
    parser.add_argument(
        "--spec", choices=("all", "system", "protocol"), default="all", help="whose rows"
    )
    parser.add_argument("--row", nargs=2, metavar=("CONFIG", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.row:
        print(json.dumps(run(json.loads(args.row[0]), args.row[1])))
        return
    print(f"# {describe()}")
    print(
        f"{'configuration':50} {'full':>9} {'reduced':>9} {'ratio':>5} {'+chains':>9} "
        f"{'ratio':>5} {'full s':>7} {'red. s':>6} {'+ch. s':>6}  verdict"
    )
    differ = False
    for config in CONFIGS + (LARGE if args.large else []):
        if args.spec != "all" and config.get("spec", "system") != args.spec:
            continue
        full, reduced, chained = (in_fresh_process(__file__, config, m) for m in MODES)
        # A search that stops at a violation has reached only the witnesses on its way
        # there, which depend on the order it explored: witnesses are compared on
        # complete searches only.
        complete = full["verdict"] == "ok"
        outcomes = [
            (r["verdict"], r["witnesses"] if complete else None) for r in (full, reduced, chained)
        ]
        same = outcomes[1] == outcomes[0] and outcomes[2] == outcomes[0]
        differ |= not same
        print(
            f"{label(config):50} {full['distinct']:>9,} {reduced['distinct']:>9,} "
            f"{reduced['distinct'] / full['distinct']:>5.2f} {chained['distinct']:>9,} "
            f"{chained['distinct'] / full['distinct']:>5.2f} {full['wall_s']:>7.1f} "
            f"{reduced['wall_s']:>6.1f} {chained['wall_s']:>6.1f}  {full['verdict']}"
            + ("" if same else f"  DIFFERENT: {reduced['verdict']}, {chained['verdict']}"),
            flush=True,
        )
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
