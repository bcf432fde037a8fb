"""``zabmc cluster``: run the reference implementation (``impl/``) as a local cluster."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

import click

from impl.server.local import HOST, ClusterLayout, LocalCluster, wait_for
from zabmc.cli.errors import InputError


@click.group()
def cluster() -> None:
    """A local cluster of the reference implementation, one process per server."""


@cluster.command()
@click.option("--nodes", type=click.IntRange(1, 9), default=3, show_default=True, help="voters")
@click.option("--observers", type=click.IntRange(0, 9), default=0, show_default=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="configs, data and logs (default: a new temporary directory)",
)
@click.option(
    "--base-port",
    type=click.IntRange(1024, 65000),
    help="peer ports from here, client ports 100 above (default: free ports)",
)
@click.option(
    "--application",
    type=click.Choice(["zookeeper", "txnlist"]),
    default="zookeeper",
    show_default=True,
    help="what the servers replicate: ZooKeeper's data tree, or a plain list of txns",
)
@click.option(
    "--for",
    "seconds",
    type=click.FloatRange(0),
    help="stop after this many seconds (default: run until Ctrl-C)",
)
def up(
    nodes: int,
    observers: int,
    directory: Path | None,
    base_port: int | None,
    application: str,
    seconds: float | None,
) -> None:
    """Start NODES voters (and OBSERVERS) on 127.0.0.1 and wait for a leader."""
    n = nodes + observers
    if base_port is None:
        layout = ClusterLayout.on_free_ports(nodes, observers, application=application)
    else:
        ids = range(1, n + 1)
        layout = ClusterLayout(
            nodes,
            observers,
            {i: base_port + i for i in ids},
            {i: base_port + 100 + i for i in ids},
            application=application,
        )
    directory = directory or Path(tempfile.mkdtemp(prefix="zab-cluster-"))
    local = LocalCluster(layout, directory)
    # the servers run in sessions of their own (a terminal's Ctrl-C does not reach them): a
    # supervisor's SIGTERM, or a closed terminal's SIGHUP, must stop them as Ctrl-C does
    previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    try:
        local.start_all()
        try:
            leader = wait_for(lambda: _exited(local) or local.leader(), 30, "a leader")
        except TimeoutError as exc:
            raise InputError(f"{exc}; see {directory}/server*.out") from None
        click.echo(f"cluster of {nodes} voters and {observers} observers in {directory}")
        for sid in layout.servers:
            status = local.status(sid) or {}
            click.echo(
                f"  server {sid}: {status.get('role', '?'):<9} peer {HOST}:{layout.peer_ports[sid]}"
                f"  client {HOST}:{layout.client_ports[sid]}  log {local.log_path(sid)}"
            )
        port = layout.client_ports[leader]
        if application == "zookeeper":
            click.echo(f"leader: server {leader}. Any ZooKeeper client works, e.g. kazoo:")
            click.echo(f'  KazooClient(hosts="{local.connect_string()}")')
            click.echo(f"  echo mntr | nc -q1 {HOST} {port}")
        else:
            click.echo(f"leader: server {leader}. Try (JSON lines on any client port):")
            click.echo(f'  echo \'{{"op": "write", "data": "hello"}}\' | nc -q1 {HOST} {port}')
            click.echo(f'  echo \'{{"op": "read"}}\' | nc -q1 {HOST} {port}')
        click.echo(
            "Ctrl-C (or SIGTERM, SIGHUP) stops every server."
            if seconds is None
            else f"running {seconds:g}s"
        )
        if seconds is None:
            while True:
                time.sleep(1)
        time.sleep(seconds)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        for sig in STOP_SIGNALS:  # a second signal must not cut the stop short
            signal.signal(sig, signal.SIG_IGN)
        local.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _exited(local: LocalCluster) -> None:
    """Raise if a server process died (a port in use, a bad data directory, ...)."""
    for sid, process in local.processes.items():
        if process.poll() is not None:
            out = (local.directory / f"server{sid}.out").read_text().strip().splitlines()
            last = out[-1] if out else f"exit code {process.returncode}"
            raise InputError(f"server {sid} exited: {last}")
