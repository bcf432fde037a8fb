"""The bug-switch registry (impl.core.switches): every switch is declared once, names the
places it acts, and only those places ask for it; a spec variant is one the system spec has."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

import pytest

import impl
from impl.core import switches
from impl.core.switches import SWITCHES, Switches, check_switches
from spec.system.bugs import BUGS


def _resolve(dotted: str) -> object:
    """``package.module.function`` or ``package.module.Class.method``."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise LookupError(dotted)


def _constants() -> dict[str, str]:
    """The module's constants naming a switch: constant name -> switch name."""
    return {
        k: v
        for k, v in vars(switches).items()
        if k.isupper() and isinstance(v, str) and v in SWITCHES
    }


def _asked(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The constant ``node`` asks about, if it is ``<switches>.on(CONSTANT)``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "on"
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id in constants
    ):
        return node.args[0].id
    return None


def _askers() -> dict[str, set[str]]:
    """switch name -> the functions in impl that ask ``.on(CONSTANT)``, as module.qualname."""
    constants = _constants()
    found: dict[str, set[str]] = {name: set() for name in SWITCHES}
    for info in pkgutil.walk_packages(impl.__path__, "impl."):
        if info.name == "impl.core.switches" or info.ispkg:
            continue
        module = importlib.import_module(info.name)
        tree = ast.parse(inspect.getsource(module))
        stack: list[tuple[ast.AST, str]] = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.ClassDef):
                    stack.append((child, f"{prefix}{child.name}."))
                elif _asked(child, constants) and prefix:
                    found[constants[_asked(child, constants)]].add(f"{info.name}.{prefix[:-1]}")
                else:
                    stack.append((child, prefix))
    return found


def test_every_constant_is_a_declared_switch_and_every_switch_has_one() -> None:
    assert sorted(_constants().values()) == sorted(SWITCHES)


@pytest.mark.parametrize("name", list(SWITCHES))
def test_a_switch_acts_exactly_where_the_registry_says(name: str) -> None:
    switch = SWITCHES[name]
    for where in switch.acts_in:
        assert callable(_resolve(where)), where
    assert _askers()[name] == set(switch.acts_in)


def test_a_spec_variant_is_one_the_system_spec_selects_and_a_planted_fault_is_not() -> None:
    for switch in SWITCHES.values():
        assert (switch.name in BUGS) == (switch.kind == "spec variant"), switch.name


def test_unknown_switches_are_refused_by_name() -> None:
    assert check_switches(["skip-trunc"]).on("skip-trunc")
    assert not Switches().on("skip-trunc")
    with pytest.raises(ValueError, match="unknown mutation 'nope'"):
        check_switches({"nope"})
    with pytest.raises(ValueError, match="declared twice"):
        switches.declare("skip-trunc", "planted fault", "x.y", "again")
