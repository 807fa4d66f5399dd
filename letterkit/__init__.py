"""letterkit: complaint correspondence from Word templates, in English and Telugu.

The library core is `record + template -> bytes`:

    from letterkit import load_record, make_letter
    record = load_record(Path("complaint.yaml"))
    letter = make_letter(record, "resolution", language="en", layout="block",
                         today=date.today())
    Path("resolution.docx").write_bytes(letter.docx)
"""

from importlib.metadata import PackageNotFoundError, version

from letterkit.config import Config, load_config
from letterkit.errors import (
    InputError,
    KindNotPossible,
    LetterkitError,
    OutputExists,
    Problem,
    TemplateError,
)
from letterkit.letters import KINDS, LAYOUTS, Letter, load_record, make_letter, plan_kinds
from letterkit.output import write_atomic
from letterkit.record import Record, validate_record

try:
    __version__ = version("letterkit")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"

__all__ = [
    "KINDS",
    "LAYOUTS",
    "Config",
    "InputError",
    "KindNotPossible",
    "Letter",
    "LetterkitError",
    "OutputExists",
    "Problem",
    "Record",
    "TemplateError",
    "__version__",
    "load_config",
    "load_record",
    "make_letter",
    "plan_kinds",
    "validate_record",
    "write_atomic",
]
