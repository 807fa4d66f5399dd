"""Something to start from: `sample`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from letterkit.cli.common import report, shown


@click.command()
@click.option("-o", "--output", "out_dir", default=Path("."), show_default=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write the sample files into.")
@click.option("--force", is_flag=True, help="Replace sample files that already exist.")
def sample(out_dir: Path, force: bool) -> None:
    """Write sample records and a sample CSV to start from.

    The CSV's header shows every column a batch file may have.
    """
    from letterkit.inputs import write_samples

    written, problems = write_samples(out_dir, force=force)
    for path in written:
        click.echo(f"wrote {shown(path)}")
    report(problems)
    if not problems:
        click.echo(f"next: letterkit render {shown(out_dir / 'complaint.yaml')}", err=True)
    sys.exit(1 if problems else 0)
