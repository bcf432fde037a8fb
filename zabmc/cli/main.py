"""The ``zabmc`` command.

Exit codes: 0 when everything held, 1 when a property was violated (or a
trace diverged), 2 for a usage or input error; ``lincheck`` answers 3 when its search ran
out of budget (neither verdict). Errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import sys

import click

from zabmc import __version__, compiled
from zabmc.cli.check import check
from zabmc.cli.cluster import cluster
from zabmc.cli.drive import drive_command
from zabmc.cli.errors import InputError
from zabmc.cli.lincheck import lincheck_command
from zabmc.cli.prove import prove
from zabmc.cli.replay import replay_command
from zabmc.cli.report import report
from zabmc.cli.simulate import simulate_command
from zabmc.cli.specs import specs
from zabmc.properties import PropertyError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    prog_name="zabmc",
    # which code runs: the modules compiled with mypyc, or pure Python and why
    message=f"%(prog)s, version %(version)s, {compiled.mode().describe()}",
)
def cli() -> None:
    """A model checker for ZooKeeper's atomic broadcast (ZAB)."""


cli.add_command(check)
cli.add_command(cluster)
cli.add_command(specs)
cli.add_command(report)
cli.add_command(simulate_command, name="simulate")
cli.add_command(replay_command)
cli.add_command(lincheck_command)
cli.add_command(prove)
cli.add_command(drive_command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every user error into one line and exit code 2."""
    try:
        code = cli.main(args=argv, prog_name="zabmc", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        click.echo(f"zabmc: error: {exc.format_message()}", err=True)
        return 2
    except (InputError, PropertyError) as exc:
        click.echo(f"zabmc: error: {exc}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("zabmc: aborted", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("zabmc: interrupted", err=True)
        return 130
    return code if isinstance(code, int) else 0


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
