"""The `letterkit` command: options in, one library call, results and problems reported.

Exit status: 0 all done; 1 some letters were not written or a check found problems;
2 bad usage or bad input. Problems go to stderr, one line each, naming file and field.
Nothing below this package imports it.

A command's module imports at its top only what defining its commands needs (click,
cli.common, the errors, the choices and checks of its options); the library a command
calls it imports inside the command, so that `letterkit --help`, a command's `--help` and
the light commands start without loading the document, mail and calendar libraries
(tests/test_startup.py holds each command to that).
"""

from letterkit.cli.app import main

__all__ = ["main"]
