"""The fsync helper process: what it answers, that it ends with its server, and its errors."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from impl.core.messages import Txn
from impl.core.zxid import make_zxid
from impl.storage import Store
from impl.storage.fsync_helper import serve
from impl.storage.syncer import SyncHelper, SyncHelperError


def txns(first: int, last: int) -> tuple[Txn, ...]:
    return tuple(Txn(make_zxid(1, c), 1, c, b"payload-%d" % c) for c in range(first, last + 1))


def test_the_helper_answers_each_request_with_its_seq_or_the_error(tmp_path: Path) -> None:
    log = tmp_path / "log.0000000100000001"
    log.write_bytes(b"records")
    requests = io.BytesIO(
        b"3\t%s\n" % bytes(log).hex().encode()  # fsynced
        + b"4\t%s\n" % bytes(tmp_path / "gone").hex().encode()  # removed meanwhile: no sync
        + b"5\t%s\n" % (b"x" * 5000).hex().encode()  # the open fails: the error comes back
    )
    answers = io.BytesIO()
    serve(requests, answers)
    first, second, third = answers.getvalue().splitlines()
    assert (first, second) == (b"3", b"4")
    seq, error = third.split(b"\t")
    assert seq == b"5" and error.startswith(b"ERR ") and b"File name too long" in error


def test_sync_through_the_helper_reports_the_last_append_and_ends_with_stop(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data\nin a directory whose name has a newline"

    async def run() -> tuple[list[int], int | None]:
        store = Store.open(data)
        helper = SyncHelper()
        await helper.start()
        process = helper._process
        assert process is not None
        seqs = [await helper.sync(store)]  # nothing appended yet: no segment to sync
        store.append(txns(1, 3), seq=1)
        seqs.append(await helper.sync(store))
        store.append(txns(4, 4), seq=2)
        store.append(txns(5, 6), seq=3)
        seqs.append(await helper.sync(store))
        await helper.stop()
        store.close()
        return seqs, process.returncode

    seqs, returncode = asyncio.run(run())
    assert seqs == [0, 1, 3]
    assert returncode == 0
    again = Store.open(data)
    assert [t.zxid for t in again.durable.txns] == [make_zxid(1, c) for c in range(1, 7)]


def test_a_helper_that_died_is_an_error_not_a_hang(tmp_path: Path) -> None:
    async def run() -> None:
        store = Store.open(tmp_path)
        helper = SyncHelper()
        await helper.start()
        assert helper._process is not None
        helper._process.kill()
        await helper._process.wait()
        store.append(txns(1, 1), seq=1)
        try:
            with pytest.raises(SyncHelperError, match="exited"):
                await asyncio.wait_for(helper.sync(store), 10)
        finally:
            await helper.stop()
            store.close()

    asyncio.run(run())


def test_the_helper_imports_nothing_of_impl() -> None:
    """It runs by path with ``-S``: an import of the package would slow every server start."""
    source = (Path(__file__).parents[2] / "impl" / "storage" / "fsync_helper.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports and all("impl" not in line for line in imports), imports
