"""The HTML report in a real headless browser: its DOM after the scripts ran, and a screenshot.

The screenshots land in ``build/report-screenshots/`` (or ``$ZABMC_SCREENSHOTS``),
next to the HTML they show, for a person to look at. Outside CI the test skips
when no chromium is installed; with ``CI=true`` it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.catalog_cases import bug_flags
from zabmc.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("ZABMC_SCREENSHOTS", ROOT / "build" / "report-screenshots"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None,
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed, and CI=true: .ci/run must install it")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return found


def browse(chromium: str, tmp_path: Path, page: Path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    proc = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class Dom(HTMLParser):
    """The elements of a dumped DOM: (tag, attributes, text inside, up to the next tag)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_data(self, data: str) -> None:
        if self.elements:
            self.elements[-1][2].append(data)

    def having(self, tag: str, cls: str) -> list[tuple[str, dict[str, str], list[str]]]:
        return [e for e in self.elements if e[0] == tag and cls in e[1].get("class", "").split()]

    @staticmethod
    def text(element: tuple[str, dict[str, str], list[str]]) -> str:
        return "".join(element[2]).strip()

    def by_id(self, ident: str) -> tuple[str, dict[str, str], list[str]]:
        return next(e for e in self.elements if e[1].get("id") == ident)


def make_report(tmp_path: Path, name: str, command: list[str]) -> tuple[Path, dict]:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    cex = tmp_path / f"{name}.json"
    assert main([*command, "--no-progress", "--report", str(cex)]) == 1
    page = OUTPUT / f"{name}.html"
    assert main(["report", str(cex), "--format", "html", "-o", str(page)]) == 0
    return page, json.loads(cex.read_text())


CASES = {
    # a shortest counterexample at 3 servers, from breadth-first search
    "protocol-3-servers": ["check", *bug_flags("protocol", "strict-propose"), "--no-deadlock"],
    # a long walk at 5 servers with timeouts and a restart, as the simulator found it
    "protocol-5-servers-long": [
        "simulate",
        "--spec",
        "protocol",
        "--nodes",
        "5",
        "--bug",
        "commitld-ackld-zxid",
        "--max-timeouts",
        "2",
        "--max-txns",
        "2",
        "--max-epoch",
        "3",
        "--max-restarts",
        "1",
        "--runs",
        "3000",
        "--steps",
        "300",
        "--seed",
        "1",
        "--no-shrink",
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_report_in_a_browser(chromium, tmp_path, name, capsys):
    page, doc = make_report(tmp_path, name, CASES[name])
    capsys.readouterr()
    dom = Dom(browse(chromium, tmp_path, page, "--dump-dom"))
    servers = doc["servers"]
    lanes = dom.having("g", "lane")
    assert [e[1]["data-server"] for e in lanes] == servers
    sent = sum(len(s["events"]["sent"]) for s in doc["steps"])
    received = sum(len(s["events"]["received"]) for s in doc["steps"])
    assert len(dom.having("g", "arrow")) == sent > 0
    assert len(dom.having("g", "delivered")) == received > 0
    assert dom.text(dom.by_id("explanation")) == doc["explanation"]
    faults = sum(s["fault"] for s in doc["steps"])
    assert len(dom.having("g", "fault")) == faults
    # the script ran: the panel shows the last state, every server, the committed prefix
    last = doc["steps"][-1]
    assert dom.text(dom.by_id("state-heading")) == f"After step {last['index']}: {last['label']}"
    headers = [dom.text(e) for e in dom.elements if e[0] == "th"]
    at = headers.index(servers[0])
    assert headers[at : at + len(servers)] == servers
    committed = sum(min(s["committed"], len(s["history"])) for s in last["servers"])
    assert len(dom.having("span", "committed")) == committed
    assert len(dom.having("tr", "selected")) == 1 and len(dom.having("g", "selected")) == 1
    if name.endswith("long"):
        assert len(doc["steps"]) > 40 and len(servers) == 5 and faults > 0
        assert len(dom.having("g", "marker")) >= faults
    shot = page.with_suffix(".png")
    height = 420 + 30 * len(doc["steps"]) + 600
    browse(chromium, tmp_path, page, f"--screenshot={shot}", f"--window-size=1400,{height}")
    assert shot.stat().st_size > 20_000


def test_a_step_picked_by_the_address_shows_its_state_and_what_changed(chromium, tmp_path, capsys):
    page, doc = make_report(tmp_path, "protocol-3-servers", CASES["protocol-3-servers"])
    capsys.readouterr()
    pick = tmp_path / "pick.html"
    # the same page, opened at #step-12: the script selects step 12 instead of the last
    pick.write_text(page.read_text().replace("location.hash", '"#step-12"'))
    dom = Dom(browse(chromium, tmp_path, pick, "--dump-dom"))
    step = doc["steps"][12]
    assert dom.text(dom.by_id("state-heading")) == f"After step 12: {step['label']}"
    assert [e[1]["data-step"] for e in dom.having("tr", "selected")] == ["12"]
    changed = dom.having("td", "changed")
    assert changed, "the cells step 12 changed are highlighted"
    assert any("BROADCAST" in dom.text(e) for e in changed)
