"""The gate's cost per decision, beside a plain dict lookup in the same run.

    python bench/gate.py

Goal (issue 4): median <= 5 us per decision. Each sample times a block of calls and
divides, so the clock's own cost does not dominate.
"""

from __future__ import annotations

import statistics
import time

from consentkit.device_sdk import DeviceStore
from consentkit.device_sdk.gate import Gate
from consentkit.device_sdk.permissions import PermissionManager
from consentkit.device_sdk.testing import ScriptedPhone
from consentkit.examples import manifest_paths
from consentkit.policy import load_manifest

BLOCK = 1000
SAMPLES = 200


class Consents:
    agreed = True
    needs_guardian = False
    purposes = frozenset(
        {
            "account",
            "security",
            "customer_positioning",
            "product_photos",
            "customer_import",
            "quick_call",
            "qr_scanning",
        }
    )

    def consented(self, purpose: str) -> bool:
        return purpose in self.purposes

    def category_consented(self, category: str) -> bool:
        return False


def per_call_ns(fn) -> list[float]:
    samples = []
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        for _ in range(BLOCK):
            fn()
        samples.append((time.perf_counter_ns() - start) / BLOCK)
    return samples


def main() -> None:
    manifest = load_manifest(next(p for p in manifest_paths() if p.stem == "zhenyi-erp"))
    phone = ScriptedPhone("android", 14, answers=["allow"])
    perms = PermissionManager(phone, DeviceStore(), phone.tracer)
    gate = Gate(manifest, Consents(), perms, phone.now)
    gate.start_feature("add_customer")
    gate.start_feature("publish_product")
    perms.request(["location.precise", "location.coarse"])
    table = {("user.location.coarse", "customer_positioning", "add_customer"): True}

    cases = {
        "dict lookup (baseline)": lambda: table.get(
            ("user.location.coarse", "customer_positioning", "add_customer")
        ),
        "can_collect, allowed (permission checked)": lambda: gate.can_collect(
            "user.location.coarse", "customer_positioning", "add_customer"
        ),
        "can_collect, refused (undeclared)": lambda: gate.can_collect(
            "user.contacts.entry", "account", "add_customer"
        ),
        "can_collect, refused (no permission)": lambda: gate.can_collect(
            "user.media.photo", "product_photos", "publish_product"
        ),
    }
    print(f"{'decision':45} {'median':>9} {'p95':>9}")
    for name, fn in cases.items():
        samples = sorted(per_call_ns(fn))
        median = statistics.median(samples)
        p95 = samples[int(len(samples) * 0.95)]
        print(f"{name:45} {median / 1000:8.2f}us {p95 / 1000:8.2f}us")
    print("goal: median <= 5 us per decision")


if __name__ == "__main__":
    main()
