"""Time to export and to purge one user with 50,000 rows of personal data.

    python bench/rights.py                        # SQLite (a temporary file)
    python bench/rights.py postgresql+psycopg://postgres@127.0.0.1:5432/test

Goal (issue 6): <= 3 s each. Rows are inserted in bulk first; only the export and the
purge are timed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from consentkit.examples import manifest_paths
from consentkit.policy import load_manifest
from consentkit.server import create_app, db
from consentkit.server.migrate import upgrade
from consentkit.server.models import CollectedItem, ConsentEvent, RightsRequest, User
from consentkit.server.services import jobs, policies, purge

ROWS = 50_000
CATEGORIES = [
    ("user.location.coarse", "customer_positioning", "add_customer"),
    ("user.contacts.entry", "customer_import", "import_contacts"),
    ("user.transaction.order", "account", "place_order"),
]


def main(url: str | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="consentkit-bench-"))
    url = url or f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "ENV": "test",
            "EXPORTS_ROOT": str(folder / "exports"),
            "MEDIA_ROOT": str(folder / "media"),
        }
    )
    if url.startswith("postgresql"):
        with app.extensions["consentkit.engine"].begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(url)
    manifest = load_manifest(next(p for p in manifest_paths() if p.stem == "zhenyi-erp"))
    with app.app_context():
        s = db.session()
        policies.publish(s, manifest)
        user = User(phone="+8613800000001", password_hash="x")
        s.add(user)
        s.flush()
        consent = ConsentEvent(
            app_id=manifest.id,
            user_id=user.id,
            policy_version=manifest.version,
            purpose="account",
            action="grant",
            method="api",
            receipt_id="r",
        )
        s.add(consent)
        s.flush()
        now = datetime.now(UTC)
        rows = []
        for i in range(ROWS):
            category, purpose, feature = CATEGORIES[i % len(CATEGORIES)]
            rows.append(
                {
                    "app_id": manifest.id,
                    "user_id": user.id,
                    "category": category,
                    "purpose": purpose,
                    "feature": feature,
                    "consent_event_id": consent.id,
                    "policy_version": manifest.version,
                    "collected_at": now,
                    "received_at": now,
                    "keep_until": now + timedelta(days=365),
                    "payload": {
                        "name": f"Customer {i}",
                        "phone": "+8613900000000",
                        "amount": i,
                        "lat": 31.2,
                        "lon": 121.4,
                    },
                }
            )
        s.execute(insert(CollectedItem), rows)
        request = RightsRequest(
            user_id=user.id,
            app_id=manifest.id,
            kind="export",
            policy_version=manifest.version,
            within=15,
            unit="days",
            due_at=now + timedelta(days=15),
        )
        s.add(request)
        s.commit()
        start = time.perf_counter()
        result = jobs.build_export(s, request)
        export_s = time.perf_counter() - start
        start = time.perf_counter()
        counts = purge.purge_user(s, user, {manifest.id: manifest})
        s.commit()
        purge_s = time.perf_counter() - start
    backend = url.split(":")[0]
    print(f"backend: {backend}; rows: {ROWS}")
    print(f"export: {export_s:6.2f} s  ({result['bytes'] / 1e6:.1f} MB ZIP)")
    deleted, anonymized = counts["deleted"], counts["anonymized"]
    print(f"purge:  {purge_s:6.2f} s  ({deleted} deleted, {anonymized} anonymized)")
    print("goal: <= 3 s each")
    app.extensions["consentkit.engine"].dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
