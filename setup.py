"""The build's one step beyond pyproject.toml: compile the hot modules with mypyc.

pyproject.toml is the metadata; this file only adds the extension modules. The modules are
``[tool.zabmc.compiled] modules`` there; those of one package (``spec.system``,
``spec.protocol``, ``zabmc.engine``: a name's first two components) are one mypyc group, a
shared library whose modules call each other in C. Next to them the build writes
``zabmc/_compiled.json``, the manifest :mod:`zabmc.compiled` checks at run time: each module
with the hash of the source it was compiled from, or why nothing was compiled.

When compiling is impossible (``ZABMC_COMPILE=0``, no mypyc, no C compiler, mypyc or the
compiler failing) the install goes on as pure Python and says why in one line. mypyc is
imported only when ``build_ext`` runs, so the metadata steps stay quick. See
docs/compiled.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import tomllib
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

from setuptools import Distribution, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
#: the manifest, relative to the directory holding the packages
MANIFEST = Path("zabmc", "_compiled.json")
#: the top-level packages whose directories may hold compiled modules
PACKAGES = ("spec", "zabmc")


def say(message: str) -> None:
    """One line in the build log (pip shows it with -v, and on failure)."""
    print(f"zabmc build: {message}", file=sys.stderr, flush=True)


def settings() -> dict[str, Any]:
    """``[tool.zabmc.compiled]`` of pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["zabmc"]["compiled"]


def source_of(module: str) -> Path:
    """The source file of a listed module, relative to ROOT."""
    return Path(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    """The hash the manifest records, and zabmc.compiled compares, for a source file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def why_not_compile() -> str | None:
    """Why this build cannot compile, or None if it can try."""
    if os.environ.get("ZABMC_COMPILE", "1").strip() == "0":
        return "ZABMC_COMPILE=0"
    try:
        import mypyc.build  # noqa: F401
    except Exception as exc:  # any failure to import it means no compiling, not no install
        return f"mypyc cannot be imported ({type(exc).__name__}: {exc})"
    from distutils.ccompiler import new_compiler  # setuptools' own copy
    from distutils.sysconfig import customize_compiler

    compiler: Any = new_compiler()
    customize_compiler(compiler)
    command = getattr(compiler, "compiler_so", None) or getattr(compiler, "compiler", None)
    if command and shutil.which(command[0]) is None:
        return f"no C compiler ({command[0]} not found)"
    return None


def groups(modules: list[str]) -> list[tuple[list[str], str]]:
    """mypyc's ``separate`` groups: a package's listed modules, one shared library each."""
    by_package: dict[str, list[str]] = {}
    for module in modules:
        package = ".".join(module.split(".")[:2])
        by_package.setdefault(package, []).append(str(source_of(module)))
    return [(files, f"{package}.compiled") for package, files in sorted(by_package.items())]


def remove_compiled(root: Path) -> None:
    """Delete the extension modules an earlier in-place build left beside the sources.

    A module's own (``name.<suffix>`` next to ``name.py``) and the groups' shared libraries
    (``*__mypyc.<suffix>``): a module dropped from the list must not go on shadowing its
    source, nor a pure build leave the compiled one in place.
    """
    for package in PACKAGES:
        for suffix in EXTENSION_SUFFIXES:
            for path in (root / package).rglob(f"*{suffix}"):
                stem = path.name.removesuffix(suffix)
                if stem.endswith("__mypyc") or path.with_name(f"{stem}.py").exists():
                    path.unlink()


class BuildCompiled(build_ext):
    """build_ext that makes the mypyc extensions, or falls back to pure Python and says why."""

    def finalize_options(self) -> None:
        """Generate the C code (mypyc type-checks first); setuptools then takes the result."""
        conf = settings()
        self.compiled_modules = list(conf.get("modules", []))
        self.opt_level = str(conf.get("opt_level", "3"))
        self.started = time.monotonic()
        self.why_pure = why_not_compile() if self.compiled_modules else "no modules listed"
        if self.why_pure is None:
            self.why_pure = self._generate()
        if self.why_pure is None:
            # the groups' C files build side by side
            self.parallel = self.parallel or max(1, min(4, os.cpu_count() or 1))
        super().finalize_options()

    def _generate(self) -> str | None:
        """mypyc's extensions as the distribution's; why not, if mypyc failed."""
        from mypyc.build import mypycify

        files = [str(source_of(m)) for m in self.compiled_modules]
        missing = [f for f in files if not (ROOT / f).is_file()]
        if missing:
            return f"listed modules have no source: {', '.join(missing)}"
        try:
            self.distribution.ext_modules = mypycify(
                ["--ignore-missing-imports", "--follow-imports=silent", *files],
                opt_level=self.opt_level,
                separate=groups(self.compiled_modules),  # type: ignore[arg-type]
                target_dir=str(ROOT / "build" / "mypyc"),
            )
        except (Exception, SystemExit) as exc:  # mypyc exits on a type error it reported
            return f"mypyc failed ({type(exc).__name__}: {exc}; its errors are above)"
        return None

    def run(self) -> None:
        """Build in place (editable) or into build_lib, then write the manifest there."""
        root = ROOT if self.inplace else Path(self.build_lib)
        if self.inplace:
            remove_compiled(ROOT)
        if self.why_pure is None:
            try:
                super().run()
            except Exception as exc:  # the C compiler's or linker's error, printed above
                first = str(exc).splitlines()[0] if str(exc) else ""
                if len(first) > 160:
                    first = first[:160] + "..."
                self.why_pure = f"the C build failed ({type(exc).__name__}: {first}; see above)"
        if self.why_pure is not None:
            self.extensions = []
            if self.inplace:
                remove_compiled(ROOT)
            say(f"installing pure Python, nothing compiled: {self.why_pure}")
            manifest: dict[str, Any] = {"compiled": False, "reason": self.why_pure}
        else:
            seconds = time.monotonic() - self.started
            modules = self.compiled_modules
            say(f"compiled {len(modules)} modules with mypyc in {seconds:.0f} s")
            manifest = {
                "compiled": True,
                "mypy": _mypy_version(),
                "opt_level": self.opt_level,
                "modules": {m: digest(ROOT / source_of(m)) for m in sorted(modules)},
            }
        target = root / MANIFEST
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def _mypy_version() -> str:
    from mypy.version import __version__

    return __version__


class CompiledDistribution(Distribution):
    """A distribution with extension modules, though they are made only when build_ext runs."""

    def has_ext_modules(self) -> bool:
        return True


setup(distclass=CompiledDistribution, cmdclass={"build_ext": BuildCompiled})
