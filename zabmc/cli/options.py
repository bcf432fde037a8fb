"""What ``check`` and ``simulate`` share: picking a spec, its bounds and variant, reports."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from zabmc.cli.catalog import Bound, SpecInfo
from zabmc.cli.errors import InputError
from zabmc.cli.specs import DEFAULT_SPEC, SPECS
from zabmc.engine import Discovery, Model, UnknownProperty
from zabmc.engine.properties import select_properties
from zabmc.report.counterexample import build_document
from zabmc.report.formats import RENDERERS, format_for, render

P = TypeVar("P")


def all_bounds() -> list[Bound]:
    """Every bound of every spec, once per flag: each becomes an option."""
    seen: dict[str, Bound] = {}
    for info in SPECS.values():
        for b in info.bounds:
            seen.setdefault(b.flag, b)
    return list(seen.values())


def all_options() -> dict[str, str]:
    options: dict[str, str] = {}
    for info in SPECS.values():
        options.update(info.options)
    return options


def all_choices() -> dict[str, tuple[str, ...]]:
    """The spec options that take a value, with the values they take."""
    choices: dict[str, tuple[str, ...]] = {}
    for info in SPECS.values():
        choices.update(info.choices)
    return choices


def with_spec_options(fn: Callable) -> Callable:
    """``--spec``, one ``--flag N`` per bound (None: the spec's default), each spec option,
    ``--bug`` and ``--invariant``."""
    fn = click.option(
        "--invariant",
        "invariants",
        multiple=True,
        metavar="NAME",
        help="check only this invariant (repeatable) [default: all]",
    )(fn)
    fn = click.option(
        "--bug", default=None, metavar="NAME", help="check a known-bug variant of the spec"
    )(fn)
    choices = all_choices()
    for option, doc in reversed(all_options().items()):
        flag = f"--{option.replace('_', '-')}"
        if option in choices:
            values = choices[option]
            kind = click.Choice(values)
            fn = click.option(
                flag, option, type=kind, default=None, help=f"{doc} [default: {values[0]}]"
            )(fn)
        else:
            fn = click.option(flag, option, is_flag=True, help=doc)(fn)
    for b in reversed(all_bounds()):
        fn = click.option(
            b.flag,
            b.name,
            type=int,
            default=None,
            metavar="N",
            help=f"{b.help} [default: per spec]",
        )(fn)
    return click.option(
        "--spec",
        "spec_name",
        default=DEFAULT_SPEC,
        show_default=True,
        help=f"which spec: {', '.join(SPECS)}",
    )(fn)


def with_output_options(fn: Callable) -> Callable:
    """``--report FILE``, ``--report-format``, ``--json`` and ``--progress/--no-progress``."""
    fn = click.option(
        "--progress/--no-progress",
        default=True,
        help="print a progress line about once a second on stderr",
    )(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="print one JSON object on stdout")(fn)
    fn = click.option(
        "--report-format",
        type=click.Choice(sorted(RENDERERS)),
        default=None,
        help="the report's format [default: from FILE's extension: .json, .txt, .md, .html]",
    )(fn)
    return click.option(
        "--report",
        "report_path",
        default=None,
        metavar="FILE",
        help="write the counterexample to FILE (JSON, text, Markdown or HTML)",
    )(fn)


def spec_info(name: str) -> SpecInfo:
    info = SPECS.get(name)
    if info is None:
        raise InputError(f"unknown spec {name!r}; choose from: {', '.join(SPECS)}")
    return info


def split_options(given: dict[str, Any]) -> dict[str, Any]:
    """Take the spec options (flags such as ``--tlc-compat``) out of ``given``."""
    return {k: given.pop(k) for k in list(given) if k in all_options()}


def resolve_bounds(info: SpecInfo, given: Mapping[str, int | None]) -> dict[str, int]:
    """The spec's defaults overridden by the flags given; flags of other specs are refused."""
    names = {b.name for b in info.bounds}
    for b in all_bounds():
        if given.get(b.name) is not None and b.name not in names:
            raise InputError(f"{b.flag} does not apply to spec {info.name!r}")
    bounds = {}
    for b in info.bounds:
        value = given.get(b.name)
        value = b.default if value is None else value
        if value < b.minimum:
            raise InputError(f"{b.flag} must be at least {b.minimum}, got {value}")
        bounds[b.name] = value
    return bounds


def build_model(
    info: SpecInfo, bounds: Mapping[str, int], bug: str | None, options: Mapping[str, Any]
) -> Model:
    """The spec's model, with its own complaints turned into input errors."""
    if bug is not None and bug not in info.bugs:
        raise InputError(
            f"unknown bug {bug!r} for spec {info.name!r}; choose from: {', '.join(info.bugs)}"
        )
    for option, value in options.items():
        if value and option not in info.options:
            raise InputError(f"--{option.replace('_', '-')} does not apply to spec {info.name!r}")
    try:
        return info.build(bounds, bug, options)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def check_invariant_names(model: Model, invariants: tuple[str, ...]) -> list[str] | None:
    """The invariants asked for (None: all), refused when the model has no such one."""
    try:
        select_properties(model, list(invariants) or None)
    except UnknownProperty as exc:
        raise InputError(str(exc)) from None
    return list(invariants) or None


def chosen_format(path: str | None, given: str | None) -> str | None:
    """The report's format, decided before any search runs so a bad name fails at once."""
    if path is None:
        if given is not None:
            raise InputError("--report-format needs --report FILE")
        return None
    folder = Path(path).parent
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: no directory {str(folder)!r}")
    if not os.access(folder, os.W_OK):
        raise InputError(f"cannot write {path}: directory {str(folder)!r} is not writable")
    try:
        return format_for(path, given)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def progress_printer(enabled: bool, describe: Callable[[P], str]) -> Callable[[P], None] | None:
    """A callback that prints ``progress: ...`` on stderr, or None when disabled."""
    if not enabled:
        return None
    return lambda p: click.echo(f"progress: {describe(p)}", err=True)


@dataclass
class Setup:
    """A spec chosen from the command line: its model, bounds and variant, and the report."""

    info: SpecInfo
    bounds: dict[str, int]
    bug: str | None
    options: dict[str, Any]
    model: Model
    invariants: list[str] | None
    report_path: str | None
    report_format: str | None

    def describe(self) -> str:
        """``spec NAME (bug B), bound value, ...`` for a command's first line."""
        setting = ", ".join(f"{b.flag.lstrip('-')} {self.bounds[b.name]}" for b in self.info.bounds)
        return f"spec {self.info.name}{f' (bug {self.bug})' if self.bug else ''}, {setting}"

    def counterexample(
        self, found: Discovery, search: Mapping[str, Any], seed: int | None = None
    ) -> dict[str, Any]:
        """The counterexample document of ``found``, also written to the report when asked."""
        doc = build_document(
            self.model,
            found,
            spec=self.info.name,
            bug=self.bug,
            bounds=self.bounds,
            options=self.options,
            search=search,
            seed=seed,
        )
        if self.report_path is not None and self.report_format is not None:
            write_report(doc, self.report_path, self.report_format)
        return doc


def setup(
    spec_name: str,
    given: dict[str, Any],
    bug: str | None,
    invariants: tuple[str, ...],
    report_path: str | None,
    report_format: str | None,
) -> Setup:
    """Everything the spec options ask for, checked before any search starts."""
    info = spec_info(spec_name)
    fmt = chosen_format(report_path, report_format)
    options = split_options(given)
    bounds = resolve_bounds(info, given)
    model = build_model(info, bounds, bug, options)
    names = check_invariant_names(model, invariants)
    return Setup(info, bounds, bug, options, model, names, report_path, fmt)


def report_written(path: str | None, trace: str | None) -> None:
    """Say where the report went, or why there is none."""
    if path is None:
        return
    if trace is None:
        click.echo(f"No counterexample, so no report was written to {path}.", err=True)
    else:
        click.echo(f"Report written to {path} (trace id {trace}).")


def write_report(doc: Mapping[str, Any], path: str, fmt: str) -> None:
    try:
        Path(path).write_text(render(doc, fmt), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
