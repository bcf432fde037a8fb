"""The modules compiled with mypyc: never stale, never silent, the same answers as their sources.

The guard (zabmc/compiled.py) is checked on fake builds in a temporary directory, and on a
copy of this checkout's real build in a subprocess; the compiled and the pure code must
count the same states and find the same counterexample; and under CI (.ci/run sets CI) the
compiled modules must be the ones running, so a build that silently stopped compiling (a
type error mypyc rejects, a missing compiler) fails instead of passing slowly.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from zabmc import compiled

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = EXTENSION_SUFFIXES[0]
BUILD = compiled.mode()
#: the build of this checkout compiled (whatever this process runs: ZABMC_PURE may be set)
BUILT = bool((compiled._read_manifest(ROOT) or {}).get("compiled"))
needs_build = pytest.mark.skipif(
    not BUILT and not os.environ.get("CI"), reason="this install compiled nothing"
)


def fake_build(root: Path, modules: dict[str, str], *, listed: list[str] | None = None) -> None:
    """Sources, an extension file beside each and a manifest, as setup.py leaves them."""
    for name, text in modules.items():
        source = root.joinpath(*name.split(".")).with_suffix(".py")
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(text)
        source.with_name(source.stem + SUFFIX).write_bytes(b"not a shared library")
    hashes = {n: hashlib.sha256(t.encode()).hexdigest() for n, t in modules.items()}
    (root / "zabmc").mkdir(exist_ok=True)
    (root / compiled.MANIFEST).write_text(json.dumps({"compiled": True, "modules": hashes}))
    if listed is not None:
        (root / "pyproject.toml").write_text(
            f'[project]\nname = "zabmc"\n[tool.zabmc.compiled]\nmodules = {json.dumps(listed)}\n'
        )


MODULES = {"fakepkg.sub.a": "A = 1\n", "fakepkg.sub.b": "from fakepkg.sub.a import A\nB = A\n"}


def test_an_unchanged_build_runs_compiled(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    fake_build(tmp_path, MODULES, listed=list(MODULES))
    mode, names = compiled.decide(tmp_path, {})
    assert mode.compiled and mode.modules == ("fakepkg.sub.a", "fakepkg.sub.b")
    assert mode.describe() == "compiled with mypyc (2 modules)"
    assert names == ("fakepkg.sub.a", "fakepkg.sub.b")
    assert capsys.readouterr().err == ""


def test_an_edited_source_runs_every_module_from_source_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_build(tmp_path, MODULES, listed=list(MODULES))
    source = tmp_path / "fakepkg" / "sub" / "b.py"
    source.write_text(source.read_text() + "# edited\n")
    mode, names = compiled.decide(tmp_path, {})
    assert not mode.compiled
    assert mode.describe().startswith("pure Python (a source changed since compiled")
    assert names == ("fakepkg.sub.a", "fakepkg.sub.b")  # all of them, not the edited one
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "fakepkg/sub/b.py changed since it was compiled; running pure Python" in err
    assert "reinstall to compile" in err


def test_zabmc_pure_runs_the_sources_without_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_build(tmp_path, MODULES)
    mode, names = compiled.decide(tmp_path, {"ZABMC_PURE": "1"})
    assert not mode.compiled and mode.describe() == "pure Python (ZABMC_PURE=1)"
    assert names == ("fakepkg.sub.a", "fakepkg.sub.b")
    assert capsys.readouterr().err == ""
    assert compiled.decide(tmp_path, {"ZABMC_PURE": "0"})[0].compiled


def test_a_list_changed_since_the_build_runs_pure(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fake_build(tmp_path, MODULES, listed=["fakepkg.sub.a"])
    mode, names = compiled.decide(tmp_path, {})
    assert not mode.compiled and "the list changed" in mode.reason
    assert names == ("fakepkg.sub.a", "fakepkg.sub.b")
    assert "[tool.zabmc.compiled] modules changed since" in capsys.readouterr().err


def test_a_build_for_another_python_or_none_runs_pure(tmp_path: Path) -> None:
    fake_build(tmp_path, MODULES)
    (tmp_path / "fakepkg" / "sub" / f"a{SUFFIX}").unlink()
    mode, _ = compiled.decide(tmp_path, {})
    assert not mode.compiled and mode.reason == "not compiled for this Python (fakepkg.sub.a)"
    (tmp_path / compiled.MANIFEST).write_text(
        json.dumps({"compiled": False, "reason": "ZABMC_COMPILE=0"})
    )
    mode, _ = compiled.decide(tmp_path, {})
    assert mode.describe() == "pure Python (not compiled at install: ZABMC_COMPILE=0)"
    (tmp_path / compiled.MANIFEST).unlink()
    assert compiled.decide(tmp_path, {})[0].reason.startswith("no build manifest")


def test_the_source_finder_goes_before_a_compiled_module(tmp_path: Path) -> None:
    """The fake extension files are no shared libraries: importing one would fail."""
    fake_build(tmp_path, MODULES)
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ImportError):
            importlib.import_module("fakepkg.sub.a")
        finder = compiled.PureSources(list(MODULES))
        sys.meta_path.insert(0, finder)
        try:
            b = importlib.import_module("fakepkg.sub.b")
        finally:
            sys.meta_path.remove(finder)
        assert b.B == 1 and b.__file__ == str(tmp_path / "fakepkg" / "sub" / "b.py")
        assert sys.modules["fakepkg.sub.a"].__file__.endswith("a.py")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "fakepkg"]:
            del sys.modules[name]


#: which code a fresh process runs, and where the listed modules come from
PROBE = textwrap.dedent(
    """
    import importlib, json
    from zabmc.compiled import mode
    files = {m: importlib.import_module(m).__file__ for m in mode().modules}
    print(json.dumps({"mode": mode().describe(), "compiled": mode().compiled, "files": files}))
    """
)


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in a fresh process, with the packages under ``cwd`` first."""
    environ = {k: v for k, v in os.environ.items() if k not in ("ZABMC_PURE", "PYTHONPATH")}
    environ.update(PYTHONPATH=str(cwd), **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=environ, capture_output=True, text=True
    )


def copy_checkout(to: Path) -> Path:
    """The packages with their built modules and manifest, and pyproject.toml."""
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("spec", "zabmc"):
        shutil.copytree(ROOT / package, to / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    return to


@needs_build
def test_an_edited_copy_of_the_build_runs_pure_and_warns(tmp_path: Path) -> None:
    root = copy_checkout(tmp_path)
    ran = run_python(PROBE, root)
    probe = json.loads(ran.stdout)
    assert probe["compiled"] and ran.stderr == "", ran.stderr
    assert all(f.endswith(SUFFIX) and f.startswith(str(root)) for f in probe["files"].values())
    edited = root / "spec" / "system" / "zxid.py"
    edited.write_text(edited.read_text() + "\n# an edit after the build\n")
    ran = run_python(PROBE, root)
    probe = json.loads(ran.stdout)
    assert not probe["compiled"]
    assert "spec/system/zxid.py changed since it was compiled; running pure Python" in ran.stderr
    assert all(f.endswith(".py") for f in probe["files"].values())  # all, not only zxid
    assert len(probe["files"]) == len(BUILD.modules or compiled.decide(ROOT, {})[0].modules)


#: a small system check and a bug's counterexample, counted
CHECK = textwrap.dedent(
    """
    import json
    from spec.system import SystemModel, bug_params
    from zabmc.compiled import mode
    from zabmc.engine import Checker

    def search(params, depth=None):
        checker = Checker(SystemModel(params)).deadlock(False).reduction()
        result = (checker.depth(depth) if depth else checker).spawn_bfs()
        v = result.violation
        return {
            "counts": [result.distinct_states, result.states_generated],
            "per_depth": result.to_json()["states_per_depth"],
            "actions": result.to_json()["actions"],
            "violation": v and [v.property, [str(s.action) for s in v.steps]],
        }

    print(json.dumps({
        "mode": mode().describe(),
        "fixed": search(bug_params("ZK-3911", fixed=True), 15),
        "ZK-2845": search(bug_params("ZK-2845")),
    }))
    """
)


def test_compiled_and_pure_code_count_the_same() -> None:
    compiled_run = run_python(CHECK, ROOT)
    pure_run = run_python(CHECK, ROOT, ZABMC_PURE="1")
    assert compiled_run.returncode == pure_run.returncode == 0, compiled_run.stderr
    fast, slow = json.loads(compiled_run.stdout), json.loads(pure_run.stdout)
    assert slow.pop("mode") == "pure Python (ZABMC_PURE=1)"
    assert fast.pop("mode") == compiled.decide(ROOT, {})[0].describe()
    assert fast == slow
    assert fast["fixed"]["counts"][0] > 5_000 and fast["fixed"]["violation"] is None
    assert fast["ZK-2845"]["violation"][0] == "ProcessConsistency"


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI's build must compile; others may not")
def test_under_ci_the_compiled_modules_run() -> None:
    listed = compiled._listed_in_pyproject(ROOT)
    assert listed, "pyproject.toml lists no module to compile"
    mode = compiled.mode()
    assert mode.compiled, f"CI runs {mode.describe()}: the build must compile"
    assert sorted(mode.modules) == sorted(listed)
    for name in listed:
        assert importlib.import_module(name).__file__.endswith(SUFFIX), name
