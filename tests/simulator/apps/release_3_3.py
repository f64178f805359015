"""Zhenyi ERP 3.3: a new analytics library reads the IMEI at launch, before the policy."""

import contextlib
from pathlib import Path

from consentkit.device_sdk.platform import IdentifierUnavailable, PlatformPermissionError
from consentkit.simulator.app import App, AppContext

MANIFEST = Path(__file__).resolve().parents[3] / "examples" / "manifests" / "zhenyi-erp.yaml"


def read_imei_at_launch(ctx: AppContext) -> None:
    """Where the OS still hands it out (Android before 10), the IMEI is read at launch."""
    with contextlib.suppress(IdentifierUnavailable, PlatformPermissionError):
        ctx.phone.identifier("imei")


APP = App("zhenyi-erp", MANIFEST, on_launch=read_imei_at_launch)
