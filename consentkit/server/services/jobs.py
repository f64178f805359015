"""Background work: exports, account purges, retention — one runner, run on a schedule.

``consentkit jobs run`` calls ``run_pending``; the embedded server may run it in-process.
Every step is idempotent: running it twice changes nothing more.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...policy import Manifest
from ..db import utcnow
from ..models import PolicyVersionRow, RightsRequest, User
from . import personal_data, policies, purge, rights
from .storage import exports_folder, storage

EXPORT_TTL = timedelta(hours=24)


def current_manifests(db: Session) -> dict[str, Manifest]:
    apps = set(db.scalars(select(PolicyVersionRow.app_id).distinct()))
    return {app: policies.current(db, app) for app in apps}


def build_export(db: Session, request: RightsRequest) -> dict[str, Any]:
    """A ZIP of everything about the user: data.json, receipts.json and the media files."""
    user = db.get(User, request.user_id)
    data = personal_data.gather(db, user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=1, default=str))
        zf.writestr(
            "receipts.json",
            json.dumps(personal_data.receipts_of(db, user), ensure_ascii=False, indent=1),
        )
        for items in data["categories"].values():
            for item in items:
                value = item["value"]
                if isinstance(value, dict) and value.get("file"):
                    content = storage().get(value["file"])
                    if content is not None:
                        name = value["file"].rsplit("/", 1)[-1]
                        zf.writestr(f"media/{item['id']}-{name}", content)
    path = exports_folder() / f"{request.id}.zip"
    path.write_bytes(buffer.getvalue())
    return {
        "file": path.name,
        "bytes": len(buffer.getvalue()),
        "expires_at": (utcnow() + EXPORT_TTL).isoformat(),
    }


def run_request(db: Session, request: RightsRequest, manifests: dict[str, Manifest]) -> None:
    if request.kind == "export":
        result = build_export(db, request)
    elif request.kind == "cancellation":
        user = db.get(User, request.user_id)
        result = purge.purge_user(db, user, manifests) if user else {"already": "purged"}
    else:
        return
    rights.complete(db, request, result)


def run_pending(db: Session, *, dry_run: bool = False) -> dict[str, Any]:
    manifests = current_manifests(db)
    pending = list(
        db.scalars(
            select(RightsRequest)
            .where(
                RightsRequest.status == "pending",
                RightsRequest.kind.in_(("export", "cancellation")),
            )
            .order_by(RightsRequest.created_at)
        )
    )
    report: dict[str, Any] = {"exports": 0, "purges": 0, "late": 0}
    for request in pending:
        if dry_run:
            report["exports" if request.kind == "export" else "purges"] += 1
            continue
        run_request(db, request, manifests)
        report["exports" if request.kind == "export" else "purges"] += 1
        report["late"] += request.completed_at > request.due_at
        db.commit()
    report["retention"] = purge.retention(db, manifests, dry_run=dry_run)
    if not dry_run:
        db.commit()
        for stale in exports_folder().glob("*.zip"):
            row = db.get(RightsRequest, stale.stem)
            expires = (row.result or {}).get("expires_at") if row else None
            if row is None or (expires and expires < utcnow().isoformat()):
                stale.unlink(missing_ok=True)
    return report
