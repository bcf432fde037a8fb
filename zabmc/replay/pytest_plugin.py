"""A pytest plugin: ``pytest --zabmc-traces DIR`` replays every run in DIR against the spec,
one test item per run, so another project's CI can check its recorded runs conform.

Registered as a ``pytest11`` entry point of the zabmc package, so it is active wherever zabmc
is installed; without ``--zabmc-traces`` it does nothing. DIR holds simulator traces
(``*.jsonl``, one run each) and folders of per-process files (one run per folder), as
``zabmc replay`` reads them. A run that diverges fails with the divergence report; a file
that cannot be read fails with the one-line error naming its place.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# The replay machinery (and the spec under it) is imported only when --zabmc-traces is
# given: pytest loads this plugin in every session of every project that installs zabmc.


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("zabmc", "zabmc trace conformance")
    group.addoption(
        "--zabmc-traces",
        action="append",
        default=[],
        metavar="DIR",
        help="replay every recorded run in DIR against zabmc's system spec (repeatable)",
    )


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    for directory in config.getoption("zabmc_traces"):
        path = Path(directory).resolve()
        collector = TraceDirectory.from_parent(session, name=str(directory), path=path)
        items.extend(collector.collect())


class TraceDirectory(pytest.Collector):
    """The runs of one directory: its ``*.jsonl`` files and its folders of process files."""

    def collect(self) -> Iterator[pytest.Item]:
        path = self.path
        if not path.is_dir():
            yield TraceRun.from_parent(self, name=path.name, paths=[path])
            return
        for child in sorted(path.iterdir()):
            run = any(child.glob("*.jsonl")) if child.is_dir() else child.suffix == ".jsonl"
            if run:
                yield TraceRun.from_parent(self, name=child.name, paths=[child])


class TraceDivergence(Exception):
    """A run that is not a behaviour of the spec, or a trace that cannot be read."""


class TraceRun(pytest.Item):
    """One recorded run: it passes when it conforms to the spec."""

    def __init__(self, *, paths: list[Path], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.paths = paths

    def runtest(self) -> None:
        from zabmc.replay.check import replay
        from zabmc.replay.merge import load
        from zabmc.replay.render import divergence_text
        from zabmc.replay.trace import TraceError

        try:
            runs = load([str(p) for p in self.paths])
        except TraceError as exc:
            raise TraceDivergence(f"unreadable trace: {exc}") from None
        for trace in runs:
            verdict = replay(trace)
            if verdict.divergence is not None:
                raise TraceDivergence(f"{verdict.line()}\n{divergence_text(verdict.divergence)}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, TraceDivergence):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.paths[0], 0, f"zabmc replay {self.name}"
