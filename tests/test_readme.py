"""The README's set-up commands are the ones CI runs, and they stay first in the README."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.index("```sh") < text.index("## ")
    main_job, tests = setup_commands()
    assert "pip install -e '.[test]'" in main_job
    assert main_job.endswith("zabmc check --nodes 3 --depth 12")
    assert "pip install -e '.[test]'" in tests and tests.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert setup_commands()[1] in ci
