"""``--property FILE`` and ``--invariant-expr EXPR``: the user's invariants (check, simulate)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click

from zabmc.cli.errors import InputError
from zabmc.cli.options import Setup
from zabmc.properties import load, with_properties


def with_property_options(fn: Callable) -> Callable:
    """The two options, repeatable; docs/properties.md describes the language."""
    fn = click.option(
        "--invariant-expr",
        "invariant_exprs",
        multiple=True,
        metavar="EXPR",
        help="check this formula as an invariant, named Expr1, Expr2, ... (repeatable)",
    )(fn)
    return click.option(
        "--property",
        "property_files",
        multiple=True,
        metavar="FILE",
        help="check the invariants written in FILE (docs/properties.md; repeatable)",
    )(fn)


def read_property_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: byte {exc.start}: not UTF-8 text") from None


def apply_properties(spec: Setup, files: tuple[str, ...], expressions: tuple[str, ...]) -> Setup:
    """``spec`` checking the user's invariants too: only them, unless --invariant names others.

    Parse and type errors raise PropertyError, which the CLI prints as one line (exit 2).
    """
    if not files and not expressions:
        return spec
    if spec.info.vocabulary is None:
        raise InputError(f"spec {spec.info.name!r} has no property vocabulary")
    vocabulary = spec.info.vocabulary(spec.bounds)
    texts = [(read_property_file(path), path) for path in files]
    properties = load(vocabulary, texts, expressions)
    if not properties:
        raise InputError(f"no invariant in {', '.join(files)}")
    model = with_properties(spec.model, properties, keep=True)
    chosen = [*(spec.invariants or []), *(p.name for p in properties)]
    return replace(spec, model=model, invariants=chosen)
