"""A partition's recipe pickles, for both specs with their reduction, compiled or not.

Ray pickles the recipe into each actor. A compiled spec's properties and expanders hold
mypyc's function objects, which do not pickle; the recipe holds the model and makes them
where it runs, so a copy must give the partition the original gives.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from spec.protocol import Params as ProtocolParams
from spec.protocol import ProtocolModel
from spec.system import SystemModel, bug_params
from zabmc.engine.checker import ExpanderRecipe
from zabmc.engine.model import Model
from zabmc.engine.parallel import PartitionRecipe
from zabmc.engine.properties import select_properties

MODELS = {
    "system": lambda: SystemModel(bug_params("ZK-3911")),
    "protocol": lambda: ProtocolModel(ProtocolParams(3, 1, 1, 1, 0)),
}


def successors(model: Model, recipe: ExpanderRecipe, depth: int) -> list:
    """The labels the recipe's expander gives, breadth-first to ``depth``."""
    expander, level, seen = recipe(model), list(model.init_states()), []
    for _ in range(depth):
        nxt = []
        for state in level:
            expansion = expander.expand(state)
            seen.append(sorted(str(a) for a, _ in expansion.successors))
            nxt.extend(t for _, t in expansion.successors)
        level = nxt[:200]
    return seen


@pytest.mark.parametrize("chains", [False, True], ids=["persistent", "chains"])
@pytest.mark.parametrize("spec", sorted(MODELS))
def test_a_pickled_recipe_makes_the_same_partition(spec: str, chains: bool, tmp_path: Path):
    model = MODELS[spec]()
    select_properties(model, None)  # properties built before pickling, as a search has
    expanders = ExpanderRecipe(None, True, chains)
    recipe = PartitionRecipe(model, None, expanders, False, True, tmp_path, None)
    copy = pickle.loads(pickle.dumps(recipe))
    part = copy(0, 2)
    assert part.index == 0 and part.count == 2
    names = [name for name, _ in part.witness_checks]
    assert names == [name for name, _ in recipe(0, 2).witness_checks] and names
    assert successors(copy.model, copy.make_expander, 6) == successors(model, expanders, 6)


def test_a_model_with_a_users_properties_pickles_and_stacks():
    """``--property`` copies the model (with_properties): the copy pickles as Ray pickles
    (cloudpickle: a user's property is made of lambdas) after its properties were built, its
    copy lists the same properties, and properties added to a copy join those it had."""
    cloudpickle = pytest.importorskip("ray.cloudpickle")
    from spec.system.vocabulary import vocabulary
    from zabmc.properties import load, with_properties

    model = SystemModel(bug_params("ZK-3911"))
    p = model.params
    words = vocabulary(
        {"nodes": p.voters, "observers": p.observers, "max_txns": p.max_txns,
         "max_epoch": p.max_epoch, "max_crashes": p.max_crashes,
         "max_partitions": p.max_partitions, "max_timeouts": p.max_timeouts}
    )  # fmt: skip
    first = load(words, [("invariant Small := card(Voter) <= 3", "small.zprop")])
    second = load(words, [("invariant Tiny := card(Voter) <= 5", "tiny.zprop")])
    copied = with_properties(model, first, keep=True)
    names = [p.name for p in copied.properties()]
    assert "Small" in names and len(names) == len(model.properties()) + 1
    again = cloudpickle.loads(cloudpickle.dumps(copied))
    assert [p.name for p in again.properties()] == names
    stacked = with_properties(copied, second, keep=True)
    assert [p.name for p in stacked.properties()] == [*names, "Tiny"]
