"""The checker on hand-built histories: each rule of ZooKeeper's guarantees, both ways."""

from __future__ import annotations

from tests.lincheck.histories import H
from zabmc.lincheck.check import check


def created(h: H, key: str = "/r") -> H:
    return h.call("s0", 0, 1, "create", key, {}, value="v0")


def test_a_register_read_after_its_write_is_linearizable() -> None:
    h = created(H())
    h.call("a", 2, 5, "set", result={"version": 1}, value="v1")
    h.call("b", 6, 7, "get", result={"value": "v1", "version": 1})
    assert check(h.history()).outcome == "linearizable"


def test_concurrent_writes_may_take_effect_in_either_order() -> None:
    h = created(H())
    h.call("a", 2, 10, "set", result={"version": 2}, value="a")
    h.call("b", 3, 9, "set", result={"version": 1}, value="b")
    h.call("c", 11, 12, "get", result={"value": "a", "version": 2})
    assert check(h.history()).outcome == "linearizable"


def test_a_write_that_completed_first_cannot_take_effect_second() -> None:
    h = created(H())
    h.call("a", 2, 3, "set", result={"version": 2}, value="a")  # version 2: it went second
    h.call("b", 4, 5, "set", result={"version": 1}, value="b")
    verdict = check(h.history())
    assert verdict.outcome == "violation"
    assert verdict.failing_keys == ("/r",)


def test_a_lost_acknowledged_write_is_a_violation() -> None:
    h = created(H())
    h.call("a", 2, 3, "cas", result={"version": 1}, value="a", version=0)
    h.call("b", 4, 5, "cas", result={"version": 1}, value="b", version=0)  # a was lost
    assert check(h.history()).outcome == "violation"


def test_a_stale_read_without_sync_is_allowed() -> None:
    h = created(H())
    h.call("a", 2, 3, "set", result={"version": 1}, value="v1")
    h.call("b", 10, 11, "get", result={"value": "v0", "version": 0})  # a lagging server
    assert check(h.history()).outcome == "linearizable"


def test_a_stale_read_after_sync_is_rejected() -> None:
    h = created(H())
    h.call("a", 2, 3, "set", result={"version": 1}, value="v1")
    h.call("b", 10, 11, "sync", "/r", {})
    h.call("b", 12, 13, "get", result={"value": "v0", "version": 0})
    verdict = check(h.history())
    assert verdict.outcome == "violation"
    assert {o.op for o in verdict.witness if o.status == "ok"} >= {"sync", "get"}


def test_a_sync_by_another_session_does_not_make_a_read_linearizable() -> None:
    h = created(H())
    h.call("a", 2, 3, "set", result={"version": 1}, value="v1")
    h.call("c", 10, 11, "sync", "/r", {})
    h.call("b", 12, 13, "get", result={"value": "v0", "version": 0})
    assert check(h.history()).outcome == "linearizable"


def test_a_session_must_read_its_own_write() -> None:
    h = created(H())
    h.call("a", 2, 3, "set", result={"version": 1}, value="v1")
    h.call("a", 4, 5, "get", result={"value": "v0", "version": 0})
    assert check(h.history()).outcome == "violation"


def test_a_session_never_reads_back_in_time() -> None:
    h = created(H())
    h.call("a", 2, 3, "set", result={"version": 1}, value="v1")
    h.call("b", 4, 5, "get", result={"value": "v1", "version": 1})
    h.call("b", 6, 7, "get", result={"value": "v0", "version": 0})
    assert check(h.history()).outcome == "violation"


def test_per_session_order_binds_even_without_real_time_overlap() -> None:
    # b's write is invoked after its read; the read cannot already see the write
    h = created(H())
    h.call("b", 2, 3, "get", result={"value": "v1", "version": 1})
    h.call("b", 4, 5, "set", result={"version": 1}, value="v1")
    assert check(h.history()).outcome == "violation"


def test_a_write_of_unknown_outcome_may_or_may_not_have_happened() -> None:
    h = created(H())
    h.call("a", 2, None, "set", value="v1")
    h.call("b", 10, 11, "sync", "/r", {})
    h.call("b", 12, 13, "get", result={"value": "v1", "version": 1})
    h.call("c", 20, 21, "sync", "/r", {})
    h.call("c", 22, 23, "get", result={"value": "v1", "version": 1})
    assert check(h.history()).outcome == "linearizable"
    h2 = created(H())
    h2.call("a", 2, None, "set", value="v1")
    h2.call("b", 10, 11, "get", result={"value": "v0", "version": 0})
    assert check(h2.history()).outcome == "linearizable"


def test_a_value_never_written_cannot_be_read() -> None:
    h = created(H())
    h.call("b", 10, 11, "get", result={"value": "ghost", "version": 1})
    assert check(h.history()).outcome == "violation"


def test_sequential_creates_number_children_in_write_order() -> None:
    h = created(H(), "/q")
    h.call("a", 2, 3, "create_seq", "/q", {"seq": 0}, value="x")
    h.call("b", 4, 5, "create_seq", "/q", {"seq": 1}, value="y")
    h.call("c", 6, 7, "children", "/q", {"seqs": [0, 1]})
    assert check(h.history()).outcome == "linearizable"
    bad = created(H(), "/q")
    bad.call("a", 2, 3, "create_seq", "/q", {"seq": 1}, value="x")
    bad.call("b", 4, 5, "create_seq", "/q", {"seq": 0}, value="y")
    assert check(bad.history()).outcome == "violation"


def test_a_multi_is_atomic_across_its_keys() -> None:
    h = created(created(H(), "/x"), "/y")
    ops = [{"op": "set", "key": "/x", "value": "1"}, {"op": "set", "key": "/y", "value": "1"}]
    h.call("a", 2, 3, "multi", None, {}, ops=ops)
    h.call("b", 4, 5, "get", "/x", {"value": "1", "version": 1})
    h.call("b", 6, 7, "get", "/y", {"value": "1", "version": 1})
    assert check(h.history()).outcome == "linearizable"
    torn = created(created(H(), "/x"), "/y")
    torn.call("a", 2, 3, "multi", None, {}, ops=ops)
    torn.call("b", 4, 5, "get", "/x", {"value": "1", "version": 1})
    torn.call("b", 6, 7, "get", "/y", {"value": "v0", "version": 0})  # half of the multi
    assert check(torn.history()).outcome == "violation"


def test_a_failed_multi_changes_nothing() -> None:
    h = created(created(H(), "/x"), "/y")
    ops = [{"op": "set", "key": "/x", "value": "1"}, {"op": "check", "key": "/y", "version": 7}]
    h.call("a", 2, 3, "multi", None, {"error": "bad-version"}, ops=ops)
    h.call("b", 4, 5, "get", "/x", {"value": "v0", "version": 0})
    assert check(h.history()).outcome == "linearizable"


def test_sequential_consistency_across_keys_is_checked_on_the_whole() -> None:
    # each key alone is fine (b may read /x early), but b saw /y's later write before
    # /x's earlier one: no single order explains both of b's reads
    h = created(created(H(), "/x"), "/y")
    h.call("a", 2, 3, "set", "/x", {"version": 1}, value="1")
    h.call("a", 4, 5, "set", "/y", {"version": 1}, value="1")
    h.call("b", 6, 7, "get", "/y", {"value": "1", "version": 1})
    h.call("b", 8, 9, "get", "/x", {"value": "v0", "version": 0})
    verdict = check(h.history())
    assert all(p.result.outcome == "linearizable" for p in verdict.parts)
    assert verdict.outcome == "violation"


def test_out_of_budget_is_unknown_never_a_verdict() -> None:
    h = created(H())
    for i in range(12):  # many concurrent writes of unknown outcome, then a ghost read
        h.call(f"w{i}", 2 + i, None, "set", value=f"v{i}")
    h.call("r", 100, 101, "get", result={"value": "ghost", "version": 3})
    assert check(h.history(), budget=50).outcome == "unknown"
    assert check(h.history()).outcome == "violation"


def test_the_evidence_is_small_and_still_fails() -> None:
    h = created(H())
    for i in range(30):  # a long correct prefix
        h.call("a", 10 * i + 2, 10 * i + 3, "set", result={"version": i + 1}, value=f"v{i}")
        h.call("b", 10 * i + 5, 10 * i + 6, "get", result={"value": f"v{i}", "version": i + 1})
    h.call("b", 400, 401, "sync", "/r", {})
    h.call("b", 402, 403, "get", result={"value": "v3", "version": 4})  # stale after sync
    verdict = check(h.history())
    assert verdict.outcome == "violation"
    strong = [o for o in verdict.witness if o.status == "ok" and o.ret < 10**9]
    assert len(strong) <= 8  # of 62; the sync and the stale read among them
    assert {o.op for o in strong} >= {"sync", "get"}
    assert check_ops_fail(verdict.witness)


def check_ops_fail(ops: list) -> bool:
    from zabmc.lincheck.model import ZnodeModel
    from zabmc.lincheck.search import wgl_search

    keys = tuple(sorted({k for o in ops for k in o.keys}))
    return wgl_search(ops, ZnodeModel(keys), 1_000_000).outcome == "violation"


def test_a_write_of_unknown_outcome_can_fill_a_version_gap_and_only_that() -> None:
    h = created(H())
    for i in range(6):  # lost replies, any of which may have taken effect
        h.call(f"lost{i}", 2 + i, None, "set", value=f"lost{i}")
    h.call("a", 20, 21, "set", result={"version": 3}, value="a")  # two of them went first
    h.call("b", 22, 23, "get", result={"value": "a", "version": 3})
    assert check(h.history()).outcome == "linearizable"
    h.call("c", 30, 31, "set", result={"version": 3}, value="c")  # version 3 twice: a lost write
    verdict = check(h.history())
    assert verdict.outcome == "violation"
    assert check_ops_fail(verdict.witness)
