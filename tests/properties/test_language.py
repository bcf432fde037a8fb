"""The property language: parsing, type errors with their place, evaluation, definitions."""

from __future__ import annotations

import pytest

from spec.protocol.state import initial_state
from spec.protocol.vocabulary import vocabulary
from tests.properties.protocol_states import SMALL
from zabmc.properties import PropertyError, load

VOCAB = vocabulary(SMALL)


def holds(expr: str, state=None) -> bool:
    (p,) = load(VOCAB, expressions=[expr])
    return p.holds(initial_state(3) if state is None else state)


def error(text: str, file: bool = False) -> str:
    with pytest.raises(PropertyError) as info:
        if file:
            load(VOCAB, [(text, "p.zprop")])
        else:
            load(VOCAB, expressions=[text])
    return str(info.value)


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("forall i in Server: state[i] = LOOKING", True),
        ("exists i in Server: state[i] = LEADING", False),
        ("card(Server) = 3 and s1 != s2 and s3 in Server", True),
        ("IsQuorum({s1, s2}) and not IsQuorum({s3})", True),
        ("forall e in Epoch: epochLeader[e] = {} ", None),  # an empty set literal has no type
        ("1 + 2 * 3 = 7 and -1 = NullPoint and 3 - 1 - 1 = 1", True),
        ("(if 1 < 2 then 3 else 4) = 3", True),
        ("false => 1 / 0", None),
        ("true <=> (false or true)", True),
        ("LastZxid(history[s1]) = ZeroZxid and ZeroZxid <= ZeroZxid", True),
        ("forall k in 1..0: false", True),
        ("exists k in 1..0: true", False),
        ("2 notin {1, 3} and min(2, 5) = 2 and max(2, 5) = 5", True),
        (
            "forall i, j in Server, k in 1..len(history[i]): "
            "TxnEqual(history[i][k], history[j][k])",
            True,
        ),
        ("isPrefix(history[s1], history[s2]) and len(take(history[s1], 0)) = 0", True),
        ("violatedInvariants.messageIllegal = false and recorder.nTimeout = 0", True),
        ("card(learners[s1]) = 0 and len(msgs[s1][s2]) = 0", True),
    ],
)
def test_formulas_evaluate_in_the_initial_state(expr, value):
    if value is None:
        with pytest.raises(PropertyError):
            holds(expr)
    else:
        assert holds(expr) is value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("forall i in : x", "--invariant-expr:1:13: unexpected ':'; expected"),
        ("state[s1] = ", "--invariant-expr:1:13: unexpected end of input; expected"),
        ("state[s1] # 1", "--invariant-expr:1:11: unexpected character '#'"),
        ("history[s1] < 1", "--invariant-expr:1:1: cannot order a Seq(Txn) and an Int"),
        ("curentEpoch[s1] = 0", "unknown name 'curentEpoch'; did you mean currentEpoch"),
        ("state[s1]", "--invariant-expr:1:1: the formula is an Int, not a Bool"),
        ("lastCommitted[s1].idx = 0", "LastCommitted has no field 'idx'; its fields are: index"),
        ("state[1 = 1] = 0", "1:7: index must be a Server, found a Bool"),
        ("forall x in 3: true", "1:13: x must range over a set or a sequence, found an Int"),
        ("TxnEqual(history[s1])", "TxnEqual takes 2 argument(s), got 1"),
        ("card(history[s1]) = 0", "card(S): the number of elements of a set: cannot take"),
        ("history[s1][1].zxid = 0", "cannot compare a Zxid with an Int"),
    ],
)
def test_errors_name_the_place_and_what_was_expected(text, message):
    assert message in error(text)


def test_file_errors_name_the_line():
    text = (
        "define Lead(i) := state[i] = LEADING\n\ninvariant A :=\n  forall i in Server: Lead(i) +\n"
    )
    assert error(text, file=True).startswith("p.zprop:5:1: unexpected end of input")
    assert (
        error("invariant A := 1\n", file=True) == "p.zprop:1:16: invariant A is an Int, not a Bool"
    )
    assert "'A' is already defined" in error("define A := 1\ninvariant A := true", file=True)
    assert "defined in terms of itself" in error(
        "define F(x) := F(x)\ninvariant B := F(1)", file=True
    )


def test_definitions_take_arguments_and_do_not_capture_names():
    text = (
        "define Other(i) := exists j in Server: j != i\n"
        "invariant EveryoneHasAnOther := forall j in Server: Other(j)\n"
        "define Zero := 0\n"
        "invariant EpochsStartAtZero := forall j in Server: currentEpoch[j] = Zero\n"
    )
    found = load(VOCAB, [(text, "p.zprop")])
    assert [p.name for p in found] == ["EveryoneHasAnOther", "EpochsStartAtZero"]
    assert all(p.holds(initial_state(3)) for p in found)


def test_an_index_out_of_range_is_an_error_naming_the_binding():
    (p,) = load(VOCAB, expressions=["forall i in Server: history[i][1].value = 0"])
    with pytest.raises(PropertyError, match=r"1:21: index 1 is outside 1..0 .*\(with i = s1\)"):
        p.holds(initial_state(3))
