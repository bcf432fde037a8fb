"""``zabmc check/simulate --property FILE --invariant-expr EXPR`` as a user runs them."""

from __future__ import annotations

import pytest

from zabmc.cli.main import main

PROTOCOL = ["--spec", "protocol", "--no-progress"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_shipped_invariants_hold_on_every_state(capsys):
    code, out, _ = run(
        capsys, "check", *PROTOCOL, "--no-deadlock", "--property", "spec/protocol/invariants.zprop"
    )
    assert code == 0, out
    assert "5,170" in out and "No violation" in out


def test_a_false_formula_gives_a_counterexample_naming_its_instance(capsys):
    code, out, _ = run(
        capsys,
        "check",
        *PROTOCOL,
        "--no-deadlock",
        "--invariant-expr",
        "forall i in Server: currentEpoch[i] = 0",
    )
    assert code == 1
    assert "Invariant Expr1 is violated, 6 steps from an initial state." in out
    assert "Expr1 (from --invariant-expr) is false for i = s1." in out


def test_a_shipped_invariant_finds_the_bug_the_python_one_finds(capsys, tmp_path):
    report = tmp_path / "cex.md"
    code, out, _ = run(
        capsys,
        "check",
        *PROTOCOL,
        "--bug",
        "strict-propose",
        "--max-timeouts",
        "0",
        "--max-txns",
        "2",
        "--max-epoch",
        "2",
        "--no-deadlock",
        "--no-reduction",  # 17 is the BFS depth of the shortest counterexample
        "--property",
        "spec/protocol/invariants.zprop",
        "--report",
        str(report),
    )
    assert code == 1
    assert "Invariant ShouldNotBeTriggered is violated, 17 steps" in out
    assert "ShouldNotBeTriggered" in report.read_text()


def test_simulate_takes_them_too(capsys):
    code, out, _ = run(
        capsys,
        "simulate",
        *PROTOCOL,
        "--seed",
        "1",
        "--runs",
        "50",
        "--invariant-expr",
        "card(learners[s1]) < 2",
    )
    assert code == 1
    assert "Invariant Expr1 is violated" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--invariant-expr", "forall i in Server: state[i] ="],
            "zabmc: error: --invariant-expr:1:31: unexpected end of input; expected",
        ),
        (["--property", "no/such.zprop"], "zabmc: error: cannot read no/such.zprop"),
        (
            ["--invariant-expr", "forall i in Server: history[i][1].value = 0"],
            "zabmc: error: --invariant-expr:1:21: index 1 is outside 1..0",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(capsys, args, message):
    code, _, err = run(capsys, "check", *PROTOCOL, *args)
    assert code == 2
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_type_error_in_a_file_names_file_line_and_column(capsys, tmp_path):
    path = tmp_path / "mine.zprop"
    path.write_text("-- mine\ninvariant Mine :=\n  forall i in Server: history[i] = 0\n")
    code, _, err = run(capsys, "check", *PROTOCOL, "--property", str(path))
    assert code == 2
    assert err == f"zabmc: error: {path}:3:23: cannot compare a Seq(Txn) with an Int\n"
