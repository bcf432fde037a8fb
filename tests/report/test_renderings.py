"""Text, Markdown and HTML renderings of a counterexample document."""

from __future__ import annotations

import re

from tests.catalog_cases import bug_cases
from tests.report.test_counterexample import document
from zabmc.report.chart import pair_messages
from zabmc.report.html import document_html, embedded_json
from zabmc.report.markdown import cell, document_markdown
from zabmc.report.text import document_text


def strict_propose():
    case = next(p.values for p in bug_cases() if p.values[1] == "strict-propose")
    return document(*case)[2]


def test_text_numbers_the_steps_shows_only_changes_and_ends_with_the_explanation():
    doc = strict_propose()
    text = document_text(doc)
    lines = text.splitlines()
    assert lines[0] == title_line(doc)
    assert lines[-1] == doc["explanation"]
    assert lines[-2] == "Step 17 (FollowerProcessPROPOSE(s3, s1)) broke ShouldNotBeTriggered."
    assert " 17. FollowerProcessPROPOSE(s3, s1)" in lines
    last = lines.index(" 17. FollowerProcessPROPOSE(s3, s1)")
    assert lines[last + 1 : last + 3] == [
        '       msgs[s1->s3]: ["PROPOSE(1:1, 0)"] -> -',
        '       violatedInvariants: [] -> ["proposalInconsistent"]',
    ]
    assert f"  Trace id   {doc['trace_id']}" in lines


def title_line(doc):
    return f"ShouldNotBeTriggered is violated after 17 steps (spec protocol, bug {doc['bug']})"


def test_markdown_puts_the_explanation_first_then_tables():
    doc = strict_propose()
    md = document_markdown(doc)
    assert md.startswith(f"## {title_line(doc)}\n\n> {doc['explanation']}")
    assert md.index(doc["explanation"]) < md.index("| # | action | changed |")
    rows = [line for line in md.splitlines() if re.match(r"\| \d+ \| `", line)]
    assert len(rows) == 18
    assert rows[17].startswith("| 17 | `FollowerProcessPROPOSE(s3, s1)` |")
    assert "| role/phase | LEADING/BROADCAST | FOLLOWING/SYNCHRONIZATION |" in md
    assert cell("a|b\nc") == "a\\|b<br>c"


def test_html_is_self_contained_with_a_lane_per_server_and_an_arrow_per_message():
    doc = strict_propose()
    page = document_html(doc)
    assert "<link" not in page and not re.search(r"\ssrc=", page)
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]
    assert page.count('<g class="lane"') == 3
    sent = sum(len(s["events"]["sent"]) for s in doc["steps"])
    received = sum(len(s["events"]["received"]) for s in doc["steps"])
    assert page.count('<g class="arrow ') == sent
    assert page.count('<g class="arrow delivered"') == received
    assert page.index(doc["explanation"]) < page.index("<svg")


def test_messages_pair_fifo_per_channel():
    doc = strict_propose()
    arrows = pair_messages(doc["steps"])
    for arrow in arrows:
        if arrow.fate == "delivered":
            receipt = doc["steps"][arrow.end]["events"]["received"]
            assert {"from": arrow.src, "to": arrow.dst, "label": arrow.label} in receipt
            assert arrow.sent < arrow.end
    # step 16 broadcast PROPOSE to s2 and s3; s3 took it at step 17, s2 has it in flight
    propose = [a for a in arrows if a.label.startswith("PROPOSE")]
    assert [(a.dst, a.fate, a.end) for a in propose] == [(1, "in-flight", 18), (2, "delivered", 17)]


def test_embedded_json_cannot_close_its_script():
    assert "</script>" not in embedded_json({"label": "</script><script>alert(1)</script>"})
