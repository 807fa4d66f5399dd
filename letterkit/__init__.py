"""letterkit: complaint correspondence from Word templates, in English and Telugu.

Everything a script needs is here (see the README, "Using letterkit from Python"):

    import letterkit
    record = letterkit.load_record(Path("complaint.yaml"))
    outcome = letterkit.write_record(record, letterkit.WriteOptions(out_dir=Path("letters")))
    for file in outcome.written:
        print(file.path)

The names are loaded when first used, so `import letterkit` (and the command line's
start) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Each public name, and the module that holds it.
_EXPORTS = {
    # records and settings
    "Record": "letterkit.record",
    "validate_record": "letterkit.record",
    "LAYOUTS": "letterkit.record",
    "load_record": "letterkit.inputs",
    "records_in": "letterkit.inputs",
    "Config": "letterkit.config",
    "load_config": "letterkit.config",
    # the kinds of letter
    "Kind": "letterkit.kinds",
    "KINDS": "letterkit.kinds",
    "kind_named": "letterkit.kinds",
    "plan_kinds": "letterkit.kinds",
    # one letter
    "Letter": "letterkit.letters",
    "make_letter": "letterkit.writing",
    # writing everything a record makes, and batches
    "WriteOptions": "letterkit.writing",
    "RecordOutcome": "letterkit.writing",
    "WrittenFile": "letterkit.writing",
    "write_record": "letterkit.writing",
    "write_records": "letterkit.writing",
    "write_record_files": "letterkit.writing",
    "preview_png": "letterkit.writing",
    "run_batch": "letterkit.batch",
    "BatchSummary": "letterkit.batch",
    "RowResult": "letterkit.batch",
    # checks
    "check_record": "letterkit.practice.records",
    "check_file": "letterkit.practice.records",
    "Finding": "letterkit.practice.records",
    "RecordCheck": "letterkit.practice.records",
    "check_template": "letterkit.docx.check",
    # sending
    "SmtpSettings": "letterkit.delivery.smtp",
    "SendReport": "letterkit.delivery.smtp",
    "send_messages": "letterkit.delivery.smtp",
    "SendChoice": "letterkit.delivery.smtp",
    # files and errors
    "write_atomic": "letterkit.output",
    "Problem": "letterkit.errors",
    "LetterkitError": "letterkit.errors",
    "InputError": "letterkit.errors",
    "KindNotPossible": "letterkit.errors",
    "TemplateError": "letterkit.errors",
    "OutputExists": "letterkit.errors",
    "CannotWrite": "letterkit.errors",
    "MissingTool": "letterkit.errors",
}

__all__ = [
    "__version__",
    "BatchSummary",
    "CannotWrite",
    "Config",
    "Finding",
    "InputError",
    "KINDS",
    "Kind",
    "KindNotPossible",
    "LAYOUTS",
    "Letter",
    "LetterkitError",
    "MissingTool",
    "OutputExists",
    "Problem",
    "Record",
    "RecordCheck",
    "RecordOutcome",
    "RowResult",
    "SendChoice",
    "SendReport",
    "SmtpSettings",
    "TemplateError",
    "WriteOptions",
    "WrittenFile",
    "check_file",
    "check_record",
    "check_template",
    "kind_named",
    "load_config",
    "load_record",
    "make_letter",
    "plan_kinds",
    "preview_png",
    "records_in",
    "run_batch",
    "send_messages",
    "validate_record",
    "write_atomic",
    "write_record",
    "write_record_files",
    "write_records",
]

if TYPE_CHECKING:
    __version__: str
    from letterkit.batch import BatchSummary, RowResult, run_batch
    from letterkit.config import Config, load_config
    from letterkit.delivery.smtp import SendChoice, SendReport, SmtpSettings, send_messages
    from letterkit.docx.check import check_template
    from letterkit.errors import (
        CannotWrite,
        InputError,
        KindNotPossible,
        LetterkitError,
        MissingTool,
        OutputExists,
        Problem,
        TemplateError,
    )
    from letterkit.inputs import load_record, records_in
    from letterkit.kinds import KINDS, Kind, kind_named, plan_kinds
    from letterkit.letters import Letter
    from letterkit.output import write_atomic
    from letterkit.practice.records import Finding, RecordCheck, check_file, check_record
    from letterkit.record import LAYOUTS, Record, validate_record
    from letterkit.writing import (
        RecordOutcome,
        WriteOptions,
        WrittenFile,
        make_letter,
        preview_png,
        write_record,
        write_record_files,
        write_records,
    )


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _installed_version()
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'letterkit' has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def _installed_version() -> str:
    # Asked for only when needed: importlib.metadata loads the email package, which a
    # command that sends nothing would otherwise pay for at every start.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("letterkit")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0"


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
