"""Python's cycle collector, kept out of the way while a command starts.

Starting a batch makes hundreds of thousands of objects that live as long as the process:
modules, the Record model, a compiled template, the word lists and their index. Left as it
is, the collector walks them again each time it runs while they are made, and after, for
every letter: some 6% of a 1,000-letter batch (benchmarks/speed.py). So `render` and
`batch` hold the collector off (`hold_collector`) from their start until their first
record is done, then freeze what is loaded by then, which the collector no longer walks,
and let it run again for the garbage each letter leaves (`settle_collector`); so does each
batch worker. Every other command lets it run as soon as it is named; a batch whose rows
make no record lets it run too. Only a process the command line (or a batch worker) held
is changed: a program calling the library keeps its collector as it set it.
"""

from __future__ import annotations

import gc

_held = False
_frozen = False


def hold_collector() -> None:
    """Keep the collector off until `settle_collector` or `release_collector`."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def settle_collector() -> None:
    """What this process has loaded lives as long as it does: if `hold_collector` stopped the
    collector, freeze that and let the collector run again."""
    global _held, _frozen
    if _held:
        _held = False
        _frozen = True
        gc.freeze()
        gc.enable()


def release_collector() -> None:
    """The collector as it was before `hold_collector`, when the command ends (it may have been
    called from a program that goes on: a test, a script)."""
    global _held, _frozen
    if _frozen:
        _frozen = False
        gc.unfreeze()
    if _held:
        _held = False
        gc.enable()
