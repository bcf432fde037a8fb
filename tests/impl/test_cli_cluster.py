"""``zabmc cluster up``: a local cluster of real processes, started and stopped."""

from __future__ import annotations

import socket
from pathlib import Path

from zabmc.cli.main import main


def test_cluster_up_elects_a_leader_and_stops_every_server(tmp_path: Path, capsys) -> None:
    code = main(["cluster", "up", "--nodes", "3", "--observers", "1", "--for", "0.2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("LEADING") == 1 and out.count("FOLLOWING") == 2
    assert "OBSERVING" in out and "leader: server" in out
    directory = Path(out.split(" in ", 1)[1].splitlines()[0])
    for sid in (1, 2, 3, 4):
        assert "stopping" in (directory / f"data{sid}" / "server.log").read_text()


def test_cluster_up_reports_a_server_that_cannot_start(tmp_path: Path, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            ["cluster", "up", "--nodes", "1", "--base-port", str(port - 1), "--dir", str(tmp_path)]
        )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("zabmc: error: server 1 exited")
    assert "Traceback" not in err
