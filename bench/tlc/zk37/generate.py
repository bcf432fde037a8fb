"""Regenerate tests/fixtures/zk37_traces/: TLC simulation traces of ZooKeeper's own system
spec, ``zookeeper-specifications/system-spec/zk-3.7/ZkV3_7_0.tla`` (with its
FastLeaderElection.tla), the oracle the system spec's replay test checks against.

    python bench/tlc/zk37/generate.py --jar /work/tlc/tla2tools.jar \\
        --specs /work/tlc/zk37 [--traces 240 --depth 60 --seed 7]

``--specs`` is a folder holding ZkV3_7_0.tla and FastLeaderElection.tla (from apache/zookeeper);
``tla2tools.jar`` is TLC 2.18 (generator/tla2tools.jar in Lingzhi-Ouyang/Remix). Neither is in
the repository. TLC runs the harness beside this file (MCZk.tla, MCZk.cfg) with ``-simulate``;
each random behaviour becomes one fixture in TLC's ``-dump`` syntax (``State N:`` then
``/\\ var = value``, one line each; xz-compressed), cut to the variables the replay
compares (spec/system/tla_oracle.py), with ``recorder.pc`` (the action and its servers)
as ``pc``. A behaviour is cut before its first
state where one of ZkV3_7_0.tla's in-action checks failed (violatedInvariants):
FilterNonexistentMessage, the step that drops such messages, leaves ``pc`` unchanged, so a
trace could not name it.
"""

from __future__ import annotations

import argparse
import lzma
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent.parent / "tests" / "fixtures" / "zk37_traces"
#: The variables kept, in this order; ``pc`` is recorder.pc.
KEPT = (
    "pc",
    "status",
    "state",
    "zabState",
    "acceptedEpoch",
    "currentEpoch",
    "history",
    "lastCommitted",
    "currentVote",
    "logicalClock",
    "waitNotmsg",
    "recvQueue",
    "receiveVotes",
    "outOfElection",
    "electionMsgs",
)
#: The shortest behaviour worth keeping (steps after Init).
MIN_STEPS = 4


def states_of(text: str) -> list[dict[str, str]]:
    """The states of one TLC simulation trace file, each variable's value as text."""
    found = []
    for chunk in re.split(r"^STATE_\d+ ==\s*$", text, flags=re.M)[1:]:
        chunk = chunk.split("\n=====", 1)[0]
        values = {}
        for part in re.split(r"^/\\ ", chunk, flags=re.M)[1:]:
            name, value = part.split(" = ", 1)
            values[name.strip()] = " ".join(value.split())
        found.append(values)
    return found


def fixture(states: list[dict[str, str]]) -> str | None:
    """The kept part of a behaviour as a dump, or None when too short."""
    lines = []
    for n, values in enumerate(states, start=1):
        if "TRUE" in values["violatedInvariants"]:
            break
        pc = re.search(r"pc \|-> (<<[^>]*>>)", values["recorder"]).group(1)
        lines.append(f"State {n}:")
        lines.append(f"/\\ pc = {pc}")
        lines += [f"/\\ {name} = {values[name]}" for name in KEPT[1:]]
        lines.append("")
    if len([line for line in lines if line.startswith("State")]) <= MIN_STEPS:
        return None
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jar", type=Path, required=True)
    parser.add_argument("--specs", type=Path, required=True)
    parser.add_argument("--traces", type=int, default=240)
    parser.add_argument("--depth", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zabmc-zk37-") as tmp:
        work = Path(tmp)
        for name in ("ZkV3_7_0.tla", "FastLeaderElection.tla"):
            shutil.copy(args.specs / name, work / name)
        for name in ("MCZk.tla", "MCZk.cfg"):
            shutil.copy(HERE / name, work / name)
        (work / "out").mkdir()
        subprocess.run(
            [
                "java",
                "-XX:+UseParallelGC",
                "-cp",
                str(args.jar),
                "tlc2.TLC",
                "-simulate",
                f"file={work / 'out' / 'trace'},num={args.traces}",
                "-depth",
                str(args.depth),
                "-seed",
                str(args.seed),
                "-workers",
                "1",
                "-config",
                "MCZk.cfg",
                "MCZk.tla",
            ],
            cwd=work,
            check=True,
            capture_output=True,
        )
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        kept = 0
        traces = sorted((work / "out").iterdir(), key=lambda f: int(f.name.rsplit("_", 1)[1]))
        for path in traces:
            text = fixture(states_of(path.read_text()))
            if text is not None:
                kept += 1
                (OUT / f"trace-{kept:03d}.dump.xz").write_bytes(lzma.compress(text.encode()))
    print(f"{kept} of {args.traces} behaviours kept in {OUT}")


if __name__ == "__main__":
    main()
