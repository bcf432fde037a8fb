"""The JSON counterexample: built from a search, read back, replayed, and refused when edited."""

from __future__ import annotations

import copy
import json

import pytest

from tests.catalog_cases import bug_cases
from zabmc.cli.specs import SPECS
from zabmc.engine import CheckOptions, check_bfs
from zabmc.report.counterexample import (
    VERSION,
    CounterexampleError,
    build_document,
    dumps,
    parse,
    trace_id,
    verify,
)
from zabmc.report.formats import render


def document(info, bug, bounds, options):
    model = info.build(bounds, bug, options)
    found = check_bfs(model, CheckOptions(check_deadlock=False)).violation
    assert found is not None
    doc = build_document(
        model,
        found,
        spec=info.name,
        bug=bug,
        bounds=bounds,
        options=options,
        search={"strategy": "bfs"},
    )
    return model, found, doc


def reread(doc):
    return parse(dumps(doc), "cex.json")


def check(doc):
    return verify(doc, "cex.json", SPECS)


@pytest.mark.parametrize(("info", "bug", "bounds", "options"), bug_cases())
def test_round_trip_of_every_bug_variant(info, bug, bounds, options):
    model, found, doc = document(info, bug, bounds, options)
    again = reread(doc)
    assert again == doc
    check(again)
    assert doc["version"] == VERSION and doc["spec"] == info.name and doc["bug"] == bug
    assert doc["length"] == found.length == len(doc["steps"]) - 1
    assert doc["invariant"]["name"] == found.property
    assert doc["explanation"] == found.explanation != ""
    for step, record in zip(found.steps, doc["steps"], strict=True):
        assert record["state"] == json.loads(json.dumps(model.format_state(step.state)))
        if step.action is not None:
            assert (record["action"], record["args"]) == (step.action.name, list(step.action.args))
    for fmt in ("text", "md", "html"):
        assert doc["explanation"].split(":")[0] in render(again, fmt)


def protocol_case():
    return next(p.values for p in bug_cases() if p.values[1] == "strict-propose")


def test_trace_id_is_a_hash_of_spec_bounds_and_actions_the_same_everywhere():
    _, _, doc = document(*protocol_case())
    # pinned: sha256 over canonical JSON, so any machine and any run gives this id
    assert doc["trace_id"] == "65bc8bb40064e082"
    actions = [(s["action"], s["args"]) for s in doc["steps"][1:]]
    same = trace_id(doc["spec"], doc["bug"], dict(doc["bounds"]), {}, 0, actions)
    assert same == doc["trace_id"]
    assert trace_id(doc["spec"], None, doc["bounds"], {}, 0, actions) != doc["trace_id"]
    assert trace_id(doc["spec"], doc["bug"], doc["bounds"], {}, 0, actions[:-1]) != same
    bounds = {**doc["bounds"], "max_txns": 3}
    assert trace_id(doc["spec"], doc["bug"], bounds, {}, 0, actions) != same


def tampered(edit):
    _, _, doc = document(*protocol_case())
    doc = copy.deepcopy(doc)
    edit(doc)
    return doc


def refusal(doc) -> str:
    with pytest.raises(CounterexampleError) as caught:
        check(reread(doc))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("cex.json")
    return message


def test_an_edited_state_is_refused_naming_the_step_and_the_variable():
    def edit(doc):
        doc["steps"][9]["state"]["acceptedEpoch"]["s3"] = 7

    message = refusal(tampered(edit))
    assert message.startswith("cex.json: step 9 (FollowerProcessNEWEPOCH(s3, s1)): ")
    assert "acceptedEpoch[s3] is 7 in the file but 1 in the spec" in message


def test_an_illegal_action_is_refused_naming_the_step():
    def edit(doc):
        doc["steps"][4]["args"] = [1, 2]

    assert "step 4: " in refusal(tampered(edit)) and "is not enabled after step 3" in refusal(
        tampered(edit)
    )


def test_a_dropped_step_is_refused():
    def edit(doc):
        del doc["steps"][5]
        for k, step in enumerate(doc["steps"]):
            step["index"] = k
        doc["length"] -= 1

    assert "step 5" in refusal(tampered(edit))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(trace_id="0" * 16), "is not the hash of these steps"),
        (lambda d: d["invariant"].update(explanation="all fine"), "explanation is not the spec's"),
        (lambda d: d.update(explanation="all fine"), "explanation is not the spec's"),
        (lambda d: d["steps"][16]["events"]["sent"].pop(), "step 16 "),
        (lambda d: d["steps"][3]["servers"][0].update(status="LEADING/BROADCAST"), "step 3 "),
        (lambda d: d["steps"][17]["servers"][2].update(committed=1), "step 17 "),
        # the path never needs a second transaction, but the id covers the bounds
        (lambda d: d["bounds"].update(max_txns=1), "is not the hash of these steps"),
        (lambda d: d["bounds"].pop("max_txns"), "'bounds' must give exactly"),
        (lambda d: d.update(bug=None), "step 17 (FollowerProcessPROPOSE(s3, s1)): violatedInv"),
        (lambda d: d.update(bug="nope"), "unknown bug 'nope'"),
        (lambda d: d.update(spec="nope"), "unknown spec 'nope'"),
        (lambda d: d["invariant"].update(name="Agreement"), "Agreement holds in every state"),
        (lambda d: d.update(kind="deadlock"), "not a deadlock"),
        (lambda d: d.update(initial_state=4), "'initial_state' 4 does not exist"),
    ],
)
def test_tampering_is_refused_with_one_line(edit, message):
    assert message in refusal(tampered(edit))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "zabmc-counterexample",\n "version": 1,,}', "cex.json:2:15: not JSON"),
        ("[1, 2]", "not a counterexample"),
        ('{"format": "other"}', "not a counterexample"),
        ('{"format": "zabmc-counterexample", "version": 9}', "format version 9 is not supported"),
        ('{"format": "zabmc-counterexample", "version": 1}', "missing key 'trace_id'"),
    ],
)
def test_malformed_files_are_refused(text, message):
    with pytest.raises(CounterexampleError, match=message):
        parse(text, "cex.json")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["steps"][2].update(index=5), "step 2: 'index' is 5"),
        (lambda d: d["steps"][2].update(action=None), "step 2: 'action' is null"),
        (lambda d: d["steps"][2].update(args="s1"), "step 2: 'args' has the wrong type"),
        (lambda d: d["steps"][2].pop("state"), "step 2: missing key 'state'"),
        (lambda d: d.update(seed=True), "'seed' has the wrong type"),
        (lambda d: d.update(length=3), "'length' is 3 but there are 17 steps"),
    ],
)
def test_badly_shaped_documents_are_refused_naming_the_step(edit, message):
    with pytest.raises(CounterexampleError, match=message):
        reread(tampered(edit))
