"""The `letterkit` command: options in, one library call, results and problems reported.

Exit status: 0 all done; 1 some letters were not written or a check found problems;
2 bad usage or bad input. Problems go to stderr, one line each, naming file and field.
Nothing below this package imports it.
"""

from letterkit.cli.app import main

__all__ = ["main"]
