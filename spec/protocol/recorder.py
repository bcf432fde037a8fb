"""Zab.tla's bound checks (CheckTimeout, ...) and the recorder updates they read."""

from __future__ import annotations

from spec.protocol.params import Params
from spec.protocol.state import Recorder, ZabState


def check_timeout(s: ZabState, p: Params) -> bool:
    """``CheckTimeout``: fewer than MaxTimeoutFailures timeouts so far."""
    return s.recorder.n_timeout < p.max_timeouts


def check_transaction_num(s: ZabState, p: Params) -> bool:
    """``CheckTransactionNum``: the longest history is shorter than MaxTransactionNum."""
    return s.recorder.n_transaction < p.max_txns


def check_epoch(s: ZabState, p: Params) -> bool:
    """``CheckEpoch``: the largest accepted epoch is below MaxEpoch."""
    return s.recorder.max_epoch < p.max_epoch


def check_restart(s: ZabState, p: Params) -> bool:
    """``CheckRestart``: CheckTimeout, and fewer than MaxRestarts restarts so far."""
    return check_timeout(s, p) and s.recorder.n_restart < p.max_restarts


def after_timeout(r: Recorder) -> Recorder:
    """UpdateRecorder for Timeout: one more timeout."""
    return r._replace(n_timeout=r.n_timeout + 1)


def after_restart(r: Recorder) -> Recorder:
    """UpdateRecorder for Restart: a restart counts as a timeout too."""
    return r._replace(n_timeout=r.n_timeout + 1, n_restart=r.n_restart + 1)


def after_request(r: Recorder, history: tuple) -> Recorder:
    """UpdateRecorder for LeaderProcessRequest: the longest history', one more request."""
    return r._replace(
        n_transaction=max(len(h) for h in history), n_client_request=r.n_client_request + 1
    )


def after_cepoch(r: Recorder, accepted_epoch: tuple[int, ...]) -> Recorder:
    """UpdateRecorder for LeaderProcessCEPOCH: the largest acceptedEpoch'."""
    return r._replace(max_epoch=max(accepted_epoch))
