"""Evidence from real phones, turned into a trace the audit reads like any other.

Two sources every team can produce without instrumenting the app: the iOS App Privacy
Report (``privacy_report``) and an HTTP capture in HAR 1.2 (``har``). Each importer keeps
one app's records, counts the others it skips, and marks every event with where in the
file it came from (``ref``), so a finding points back into the original evidence.

    imported = import_evidence("App_Privacy_Report.ndjson", "ios-privacy-report",
                               app_id="fieldnotes", bundle_id="com.example.fieldnotes")
    imported.events     # trace events, the first an ``evidence.imported``
"""

from __future__ import annotations

from pathlib import Path

from .common import EvidenceError, EvidenceFile, Imported, source_table
from .har import import_har
from .privacy_report import import_privacy_report

__all__ = ["FORMATS", "EvidenceError", "Imported", "import_evidence", "source_table"]

FORMATS = {"ios-privacy-report": import_privacy_report, "har": import_har}


def import_evidence(
    path: str | Path,
    fmt: str,
    *,
    app_id: str,
    bundle_id: str | None = None,
    device: str | None = None,
) -> Imported:
    """The trace events of one app in the evidence file ``path`` of format ``fmt``."""
    if fmt not in FORMATS:
        raise EvidenceError(0, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    evidence = EvidenceFile(path)
    return FORMATS[fmt](evidence, app_id=app_id, bundle_id=bundle_id, device=device)
