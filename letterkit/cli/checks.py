"""Holding records to the practice: `check`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from letterkit.cli.common import (
    State,
    columns_option,
    config_option,
    date_option,
    exit_code,
    kinds_option,
    report,
)
from letterkit.errors import LetterkitError


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@kinds_option("Check for these letters only.")
@date_option
@columns_option
@config_option
@click.pass_obj
def check(state: State, inputs: tuple[Path, ...], kinds: tuple[str, ...],
          letter_date: dt.date | None, columns_file: Path | None) -> None:
    """Check records (YAML, JSON, or every row of a CSV) against the practice: what each
    letter must commit to, and wording that blames, stonewalls, sends the customer
    elsewhere, promises too much or reads like a form. Exit 1 when anything is found;
    notes (a late first answer) do not count."""
    from letterkit.practice.records import check_file

    status = checked = 0
    columns = state.column_map(columns_file)
    for path in inputs:
        try:
            for result in check_file(path, kinds, today=letter_date or dt.date.today(),
                                     config=state.config, columns=columns):
                checked += 1
                if result.error is not None:
                    report(result.error.problems)
                    status = max(status, exit_code(result.error))
                    continue
                report(result.problems(), label="finding")
                report(result.notes, label="note")
                status = max(status, 1 if result.findings else 0)
        except LetterkitError as error:  # a file that cannot be read at all
            report(error.problems)
            status = max(status, exit_code(error))
    click.echo(f"checked {checked} record{'s' if checked != 1 else ''}: "
               f"{'clean' if status == 0 else 'see above'}", err=True)
    sys.exit(status)
