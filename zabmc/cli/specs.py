"""The specs zabmc knows, by name (the first is the default of ``zabmc check``), and
``zabmc specs``, which lists what each offers."""

from __future__ import annotations

import click

from spec.protocol import SPEC_INFO as PROTOCOL
from spec.system import SPEC_INFO as SYSTEM
from zabmc.cli.catalog import SpecInfo

SPECS: dict[str, SpecInfo] = {SYSTEM.name: SYSTEM, PROTOCOL.name: PROTOCOL}
DEFAULT_SPEC = next(iter(SPECS))


@click.command()
def specs() -> None:
    """List each spec with its actions, invariants, bounds and bug variants."""
    for name, info in SPECS.items():
        default = " (default)" if name == DEFAULT_SPEC else ""
        click.echo(f"{name}{default}: {info.summary}")
        click.echo("  bounds:")
        for b in info.bounds:
            click.echo(f"    {b.flag:<18} {b.help} (default {b.default})")
        click.echo(f"  symmetry: {'yes' if info.symmetric else 'no, ' + info.asymmetry_reason}")
        click.echo(f"  actions ({len(info.actions)}): {', '.join(info.actions)}")
        click.echo(f"  invariants ({len(info.invariants)}):")
        for inv, doc in info.invariants:
            click.echo(f"    {inv}: {doc}")
        click.echo("  bug variants (--bug):")
        for bug, doc in info.bugs.items():
            click.echo(f"    {bug}: {doc}")
            if bug in info.bug_versions:
                click.echo(f"      versions: {info.bug_versions[bug]}")
            exposure = info.exposures.get(bug)
            if exposure is not None:
                flags = " ".join(exposure.flags(info))
                click.echo(f"      found with: --bug {bug} {flags}")
                if exposure.quick:
                    quick = " ".join(exposure.flags(info, quick=True))
                    click.echo(f"      quickly with: --bug {bug} {quick}")
        for option, doc in info.options.items():
            values = info.choices.get(option)
            value = f" {'|'.join(values)}" if values else ""
            click.echo(f"  option --{option.replace('_', '-')}{value}: {doc}")
        click.echo()
