"""Packed states and fingerprints: what a partitioned search keeps on disk and counts by."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from spec.system import Params, SystemModel
from zabmc.engine import Checker
from zabmc.engine.encoding import EncodingError, StateCodec, fingerprint
from zabmc.engine.partition import owner_of

KW = dict(voters=2, max_txns=1, max_timeouts=1, max_crashes=1)


def states() -> list:
    found: list = []
    Checker(SystemModel(Params(**KW))).deadlock(False).visitor(found.append).spawn_bfs()
    return found


def test_states_unpack_to_themselves_with_their_record_types():
    codec, other = StateCodec(), StateCodec()
    for state in states()[::7]:
        back = other.unpack(codec.pack(state))
        assert back == state and type(back) is type(state)
        assert [type(x) for x in back] == [type(x) for x in state]


def test_a_fingerprint_is_the_same_in_a_fresh_interpreter():
    sample = states()[::97]
    script = (
        "from spec.system import Params, SystemModel\n"
        "from zabmc.engine import Checker\n"
        "from zabmc.engine.encoding import fingerprint\n"
        "found = []\n"
        f"Checker(SystemModel(Params(**{KW!r}))).deadlock(False).visitor(found.append).spawn_bfs()\n"
        "print(' '.join(str(fingerprint(s)) for s in found[::97]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == [str(fingerprint(s)) for s in sample]


def test_equal_states_share_a_fingerprint_and_partitions_share_the_work():
    found = states()
    fps = np.array([fingerprint(s) for s in found], dtype=np.uint64)
    assert len(set(fps.tolist())) == len(found)  # no collision among these
    assert fingerprint((1, (2, 3))) == fingerprint((True, (2, 3)))  # equal by ==, as on one core
    shares = np.bincount(owner_of(fps, 2), minlength=2) / len(found)
    assert 0.4 < shares[0] < 0.6, shares


def test_a_value_outside_the_contract_is_refused():
    with pytest.raises(EncodingError, match="str"):
        StateCodec().pack((1, "two"))
    # None's hash is its address before Python 3.12: processes would not agree on it
    with pytest.raises(EncodingError, match="None"):
        StateCodec().pack((1, (2, None)))
