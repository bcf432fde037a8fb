"""Which code runs: the modules compiled with mypyc at install, or all of their sources.

setup.py compiles the modules of pyproject.toml's ``[tool.zabmc.compiled]`` and writes
``zabmc/_compiled.json``: each module with the hash of the source it was compiled from (or
why nothing was compiled). With an editable install a compiled module shadows its ``.py``,
so an edited source would silently run the old code. :func:`install`, called by the
``zabmc`` and ``spec`` packages before any listed module is imported, prevents that: if
``ZABMC_PURE`` is set, or the build compiled nothing, or any listed source differs from the
one compiled (or the list itself changed), every listed module is loaded from its source.
All or none, since the modules of a mypyc group call each other in C and a compiled module
would go on calling its compiled neighbours. An edit prints one line to stderr saying so.

:func:`mode` says which: ``zabmc --version`` and the check summary print it. See
docs/compiled.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec, SourceFileLoader
from importlib.util import spec_from_file_location
from pathlib import Path
from types import ModuleType

#: the directory holding the packages (the checkout, or site-packages)
ROOT = Path(__file__).resolve().parent.parent
#: what setup.py writes, relative to ROOT
MANIFEST = Path("zabmc", "_compiled.json")


@dataclass(frozen=True)
class Mode:
    """The build that runs: ``compiled`` modules, or pure Python and why."""

    compiled: bool
    modules: tuple[str, ...]  # the modules compiled (those of the build, when pure)
    reason: str = ""  # why pure

    def describe(self) -> str:
        """One line for --version and summaries."""
        if self.compiled:
            return f"compiled with mypyc ({len(self.modules)} modules)"
        return f"pure Python ({self.reason})"


class PureSources:
    """A meta-path finder, first on sys.meta_path, that loads the named modules from source."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """A source loader's spec for a listed module; None (the next finder) otherwise."""
        if fullname not in self.names:
            return None
        where = [Path(p) for p in path] if path else [ROOT]
        leaf = fullname.rpartition(".")[2] + ".py"
        for directory in where:
            source = directory / leaf
            if source.is_file():
                loader = SourceFileLoader(fullname, str(source))
                return spec_from_file_location(fullname, source, loader=loader)
        return None


_mode: Mode | None = None


def mode() -> Mode:
    """The build that runs in this process (decided once, by :func:`install`)."""
    return install()


def install() -> Mode:
    """Decide the mode once; if pure, put the source finder first on sys.meta_path."""
    global _mode
    if _mode is None:
        _mode, names = decide(ROOT, os.environ)
        if not _mode.compiled and names:
            sys.meta_path.insert(0, PureSources(names))
    return _mode


def decide(root: Path, environ: Mapping[str, str]) -> tuple[Mode, tuple[str, ...]]:
    """The mode for the packages under ``root``, and the modules to load from source if pure.

    Compiled only if the build compiled, for this Python, exactly the sources there now
    (and, in a checkout, the modules pyproject.toml lists).
    """
    manifest = _read_manifest(root)
    listed = _listed_in_pyproject(root)
    names = tuple(sorted(set((manifest or {}).get("modules", {})) | set(listed or ())))
    return _decide(root, environ, manifest, listed), names


def _decide(
    root: Path, environ: Mapping[str, str], manifest: dict | None, listed: tuple[str, ...] | None
) -> Mode:
    pure = environ.get("ZABMC_PURE", "").strip()
    if pure and pure != "0":
        return Mode(False, (), f"ZABMC_PURE={pure}")
    if manifest is None:
        return Mode(False, (), "no build manifest: pip install -e . compiles")
    if not manifest.get("compiled"):
        return Mode(False, (), f"not compiled at install: {manifest.get('reason', '?')}")
    hashes: dict[str, str] = manifest.get("modules", {})
    modules = tuple(sorted(hashes))
    if listed is not None and set(listed) != set(modules):
        return _stale(modules, "pyproject.toml's [tool.zabmc.compiled] modules", "the list")
    for module, digest in hashes.items():
        source = root.joinpath(*module.split(".")).with_suffix(".py")
        if not _has_extension(source):
            return Mode(False, modules, f"not compiled for this Python ({module})")
        try:
            current = hashlib.sha256(source.read_bytes()).hexdigest()
        except OSError:
            current = ""
        if current != digest:
            return _stale(modules, str(source.relative_to(root)), "a source")
    return Mode(True, modules)


def _stale(modules: tuple[str, ...], what: str, short: str) -> Mode:
    """Pure, after one line on stderr: what changed since the build compiled."""
    print(
        f"zabmc: {what} changed since it was compiled; running pure Python; "
        "reinstall to compile (pip install -e .)",
        file=sys.stderr,
        flush=True,
    )
    return Mode(False, modules, f"{short} changed since compiled: {what}")


def _has_extension(source: Path) -> bool:
    """Whether the compiled module for this interpreter sits beside its source."""
    stem = source.with_suffix("")
    return any(stem.with_name(stem.name + suffix).is_file() for suffix in EXTENSION_SUFFIXES)


def _read_manifest(root: Path) -> dict | None:
    """The build's manifest, or None if there is none (or it cannot be read)."""
    try:
        return json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _listed_in_pyproject(root: Path) -> tuple[str, ...] | None:
    """The list in the checkout's pyproject.toml, if this runs from a checkout (editable)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if data.get("project", {}).get("name") != "zabmc":
        return None
    return tuple(data.get("tool", {}).get("zabmc", {}).get("compiled", {}).get("modules", ()))
