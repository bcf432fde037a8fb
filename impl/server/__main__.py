"""``python -m impl.server --config FILE``: run one server until SIGTERM or Ctrl-C (SIGUSR1
ends its trace, if it records one, and nothing else).

Exit codes: 0 after a clean stop, 2 for a bad configuration or data directory (one line on
stderr naming the file and, for damaged data, the byte offset).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from impl.core.application import TxnList
from impl.server.client import ClientPort
from impl.server.config import ConfigError, ServerConfig, load_config
from impl.server.runtime import ServerRuntime
from impl.server.service_runtime import ZooKeeperFrontend
from impl.service.application import ZooKeeperApplication
from impl.storage.errors import CorruptDataError
from impl.storage.store import LEDGER_NAME, SLOW_FSYNC, SYNC_LEDGER, Store


def setup_logging(config: ServerConfig, verbose: bool) -> logging.Logger:
    log = logging.getLogger(f"impl.server.{config.sid}")
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    formatter = logging.Formatter(
        f"%(asctime)s.%(msecs)03d s{config.sid} %(levelname)s %(message)s", "%H:%M:%S"
    )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    for handler in (
        logging.StreamHandler(sys.stderr),
        logging.FileHandler(config.data_dir / "server.log"),
    ):
        handler.setFormatter(formatter)
        log.addHandler(handler)
    return log


async def serve(config: ServerConfig, log: logging.Logger) -> None:
    store = Store.open(config.data_dir, warn=log.warning)
    if os.environ.get(SYNC_LEDGER):  # power-loss emulation for fault tests
        store.sync_ledger = config.data_dir / LEDGER_NAME
    store.fsync_delay_s = int(os.environ.get(SLOW_FSYNC) or 0) / 1000  # a slow disk, for tests
    zookeeper = config.application == "zookeeper"
    app = ZooKeeperApplication() if zookeeper else TxnList()
    runtime = ServerRuntime(config, store, log, app=app)
    frontend = ZooKeeperFrontend(runtime, log) if zookeeper else None
    client = ClientPort(runtime, frontend)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping() -> None:
        runtime.stop_recording()
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping)
    # A harness ending a recorded run stops every server's recording before any server stops,
    # so that no trace records the steps the others' shutdown causes.
    loop.add_signal_handler(signal.SIGUSR1, runtime.stop_recording)
    await runtime.start()
    if frontend is not None:
        frontend.start()
    await client.start()
    host, port = config.client
    peer_host, peer_port = config.listen
    log.info(
        "serving %s: peers on %s:%d, clients on %s:%d",
        *(config.application, peer_host, peer_port, host, port),
    )
    await stop.wait()
    log.info("stopping")
    await client.stop()
    if frontend is not None:
        frontend.stop()
    await runtime.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impl.server", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="the server's TOML file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug lines too")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        log = setup_logging(config, args.verbose)
        asyncio.run(serve(config, log))
    except (ConfigError, CorruptDataError) as exc:
        print(f"zab server: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"zab server: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
