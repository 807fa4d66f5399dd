"""`python -m letterkit`: the same as the `letterkit` command."""

from letterkit.cli import main

main(prog_name="letterkit")
