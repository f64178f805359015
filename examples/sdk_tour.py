"""A short app on the consentkit SDK, against the real server in-process.

Run it:  python examples/sdk_tour.py

It walks the Zhenyi ERP app (examples/manifests/zhenyi-erp.yaml) on a scripted Android 14
phone and prints what happens at each step; no simulator, no network.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from consentkit.device_sdk import ConsentKit, DeviceStore, in_process
from consentkit.device_sdk.media import gps_of
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI, VirtualClock
from consentkit.examples import manifest_paths
from consentkit.server import create_app
from consentkit.server.bootstrap import prepare

APP = "zhenyi-erp"


def server(folder: Path, clock: VirtualClock):
    app = create_app(
        {
            "ENV": "development",
            "DATABASE_URL": f"sqlite:///{folder / 'tour.sqlite'}",
            "MEDIA_ROOT": str(folder / "media"),
            "ARGON2_MEMORY_COST": 1024,
        }
    )
    app.extensions["consentkit.clock"] = clock.now
    prepare(app, manifest_paths())
    return app


def new_sdk(app, clock, answers, *, agree=True, purposes=()):
    phone = ScriptedPhone("android", 14, answers=answers, app_id=APP, clock=clock)
    ui = ScriptedUI(agree=agree, purposes=purposes)
    return ConsentKit(APP, phone, ui, transport=in_process(app), store=DeviceStore()), phone


def seen(phone, kind: str) -> list[dict]:
    return [e for e in phone.tracer.sink.events if e["type"] == kind]


def tour(say=print) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = VirtualClock()
        app = server(Path(tmp), clock)

        say("1. Before agreement nothing personal happens")
        sdk, phone = new_sdk(app, clock, [], agree=False)
        sdk.start()
        with sdk.feature("add_customer"):
            refused = sdk.request_permission("location.precise", "add_customer")
        reads, dialogs = seen(phone, "api.read"), seen(phone, "permission.dialog")
        say(
            f"   declined the policy -> {refused.reason}; reads={len(reads)} dialogs={len(dialogs)}"
        )

        say("2. The camera is requested inside its feature, after the rationale")
        sdk, phone = new_sdk(
            app,
            clock,
            ["allow", "allow"],
            purposes=["product_photos", "customer_positioning", "customer_import"],
        )
        sdk.start()
        sdk.client.send_code("+8613800138077")
        code = sdk.client.dev_outbox("+8613800138077")[0]["body"].split("code is ")[1][:6]
        sdk.register("+8613800138077", code, "correct horse 1")
        outside = sdk.gate.can_request(["camera"], "publish_product")
        with sdk.feature("publish_product"):
            inside = sdk.request_permission("camera", "publish_product")
        order = [
            e["type"]
            for e in phone.tracer.sink.events
            if e["type"] in ("permission.rationale", "permission.dialog")
        ]
        say(f"   outside the feature -> {outside.reason}; inside -> {inside.reason}; order {order}")

        say("3. A photo with GPS EXIF leaves the device without it")
        with sdk.feature("add_customer"):
            sdk.request_permission("location.precise", "add_customer")  # the camera may geotag now
        phone.picked_photos = 1
        with sdk.feature("publish_product"):
            shot = sdk.camera.take_photo("publish_product", "product_photos")
        taken = phone.capture_photo()
        say(
            f"   camera wrote GPS: {gps_of(taken) is not None}; uploaded with GPS: "
            f"{gps_of(shot.value.jpeg) is not None}; server stored it: "
            f"{seen(phone, 'net.upload')[-1]['endpoint']}"
        )

        say("4. Withdrawal drops queued events before they are sent")
        with sdk.feature("navigate_to_customer"):
            for _ in range(3):
                sdk.location.locate("navigate_to_customer", "customer_positioning")
                clock.advance(seconds=31)
        queued = sdk.store.queued("customer_positioning")
        dropped = sdk.withdraw(["customer_positioning"])
        say(f"   queued {queued}, dropped {dropped}, sent after withdrawal: {sdk.flush()['sent']}")

        say("5. Two denials on Android 14 end in 'blocked'; the SDK advises Settings")
        sdk, phone = new_sdk(app, clock, ["deny", "deny"], purposes=["customer_import"])
        sdk.start()
        with sdk.feature("import_contacts"):
            first = sdk.request_permission("contacts", "import_contacts")
        clock.advance(hours=49)  # past the manifest's 48-hour cooldown
        with sdk.feature("import_contacts"):
            second = sdk.request_permission("contacts", "import_contacts")
        say(
            f"   first -> {first.reason}; second -> {second.reason} (open Settings: "
            f"{second.open_settings}); OS check still says {phone.check_permission('contacts')!r}"
        )

        say("6. A coarse-only grant yields a coarse fix")
        sdk, phone = new_sdk(app, clock, ["allow_coarse"], purposes=["customer_positioning"])
        sdk.start()
        with sdk.feature("add_customer"):
            sdk.request_permission("location.precise", "add_customer")
            fix = sdk.location.locate("add_customer", "customer_positioning").value
        say(f"   fix ({fix.lat}, {fix.lon}) accuracy {fix.accuracy_m:.0f} m, precise={fix.precise}")


if __name__ == "__main__":
    tour()
