"""What the virtual phone observes: reads with their feature and purposes, every request
before it leaves (whatever code sent it), what the server answered, and what an app got
under limited access. And the SDK's own trace where no phone observes it."""

import json
from pathlib import Path

from click.testing import CliRunner

from consentkit.cli import main
from consentkit.device_sdk import ConsentKit, JsonlSink, in_process
from consentkit.device_sdk.testing import ScriptedPhone, ScriptedUI, VirtualClock
from consentkit.device_sdk.trace import Tracer
from consentkit.examples import examples_dir
from consentkit.simulator.host import EmbeddedHost
from consentkit.simulator.run import Job, run_fleet

APPS = str(Path(__file__).parent / "apps" / "observed.py")
ZHENYI = examples_dir() / "manifests" / "zhenyi-erp.yaml"


def run(tmp_path, app, steps, persona="accept-all", os_mix="android-14"):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\napp: any\nsteps:\n" + "".join(f"  - {s}\n" for s in steps))
    [result] = run_fleet([Job(APPS, app, str(scenario), 1, persona, os_mix)], seed=3, workers=1)
    assert not result.errors, result.errors
    return result.events


def of(events, kind, **match):
    return [e for e in events if e["type"] == kind and all(e.get(k) == v for k, v in match.items())]


def test_an_apps_own_request_is_recorded_before_it_is_sent(tmp_path):
    events = run(tmp_path, "own-http", ["launch", "register", "use: import_contacts"])
    [upload] = of(events, "net.upload", endpoint="/api/v1/customers/import")
    assert upload["source"] == "network" and upload["feature"] == "import_contacts"
    assert set(upload["categories"]) == {"user.contacts.entry", "user.media.photo"}
    assert upload["gps_in_media"] is True and upload["contacts"] == 2
    picked = of(events, "api.read", api="contacts.pick")[0]
    assert upload["contact_ids"] == picked["ids"]
    [answer] = of(events, "net.response", request=upload["request"])
    # sent before the server answered, and seen although the server refused the extra field
    assert answer["seq"] > upload["seq"] and answer["status"] == 422


def test_other_hosts_are_recorded_and_answered_by_the_simulation(tmp_path, monkeypatch):
    """A host besides the app's server is contacted once per host (net.connect), its
    uploads carry the domain, and the request never reaches the real network."""
    import httpx

    def no_internet(self, request):
        raise AssertionError(f"a simulation sent {request.url} to the network")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", no_internet)
    events = run(tmp_path, "elsewhere", ["launch", "register", "use: place_order"])
    connects = of(events, "net.connect")
    assert [e["domain"] for e in connects] == [
        "collector.elsewhere.example",
        "cdn.elsewhere.example",
    ]
    [upload] = of(events, "net.upload", domain="collector.elsewhere.example")
    assert upload["categories"] == ["user.contact.phone_number"] and upload["endpoint"] == "/v1/u"
    assert upload["feature"] == "place_order"
    [answer] = of(events, "net.response", request=upload["request"])
    assert answer["status"] == 204
    assert not [
        e for e in of(events, "net.upload") if e.get("domain") is None and e["endpoint"] == "/v1/u"
    ]


def test_an_upload_the_server_refuses_is_recorded_with_the_answer(tmp_path):
    events = run(
        tmp_path,
        "refused-upload",
        ["launch", "register", "use: publish_product"],
        persona="deny-optional",
    )
    [upload] = of(events, "net.upload", endpoint="/api/v1/media")
    assert upload["purpose"] == "product_photos" and upload["gps_in_media"] is True
    [answer] = of(events, "net.response", request=upload["request"])
    assert answer["status"] == 403 and answer["code"] == "consent_required"


def test_reads_name_their_feature_and_its_purposes(tmp_path):
    events = run(tmp_path, "queue-then-flush", ["launch", "use: navigate_to_customer"])
    [fix] = of(events, "api.read", api="location.read")
    assert fix["feature"] == "navigate_to_customer"
    assert fix["purposes"] == ["customer_positioning"] and fix["foreground"] is True


def test_queued_data_sent_later_carries_the_feature_it_was_collected_in(tmp_path):
    events = run(tmp_path, "queue-then-flush", ["launch", "use: navigate_to_customer", "flush"])
    [upload] = of(events, "net.upload", endpoint="/api/v1/collect")
    assert upload["seq"] > of(events, "feature.end")[-1]["seq"]  # flushed outside the feature
    assert upload["feature"] == "navigate_to_customer"
    assert upload["purpose"] == "customer_positioning"


def test_sign_in_requests_belong_to_the_sign_up_feature(tmp_path):
    events = run(tmp_path, "queue-then-flush", ["launch", "register"])
    uploads = of(events, "net.upload", flow="sign_in")
    assert {u["endpoint"] for u in uploads} == {"/api/v1/auth/code", "/api/v1/auth/register"}
    assert {u["feature"] for u in uploads} == {"sign_up"}
    assert not of(events, "net.upload", endpoint="/api/v1/dev/outbox")  # the harness


def test_under_limited_access_the_read_counts_what_the_app_got(tmp_path):
    events = run(
        tmp_path, "limited-album", ["launch", "use: publish_product"], persona="limited-selector"
    )
    [read] = of(events, "api.read", api="photos.read_all")
    assert read["status"] == "limited"
    assert read["count"] == 1 and read["ids"] == ["p0"]


def test_work_in_the_background_is_seen_as_such(tmp_path):
    events = run(
        tmp_path, "background", ["launch", "use: add_customer", "restart"], persona="accept-all"
    )
    exit_seq = of(events, "app.exit")[0]["seq"]
    [late] = [e for e in of(events, "api.read", api="location.read") if e["seq"] > exit_seq]
    assert late["feature"] is None and late["foreground"] is False


def test_the_sdks_own_trace_audits_with_the_purposes_it_records(tmp_path):
    """A real app: no phone observes anything, the SDK writes the trace (JSONL)."""
    from consentkit.policy import load_manifest

    manifest = load_manifest(ZHENYI)
    clock = VirtualClock()
    host = EmbeddedHost(clock, [manifest])
    path = tmp_path / "sdk-trace.jsonl"
    sink = JsonlSink(path)
    phone = ScriptedPhone("android", 14, answers=["allow"] * 5, clock=clock)
    phone.records_trace = False  # a real phone: only the SDK writes the trace
    sdk = ConsentKit(
        manifest.id,
        phone,
        ScriptedUI(purposes=["customer_positioning", "product_photos"]),
        base_url=host.base_url,
        transport=in_process(host.app),
        tracer=Tracer(sink, "real-1", manifest.id, clock.now),
    )
    sdk.start()
    sdk.client.send_code("+8613700001111")
    code = sdk.client.dev_outbox("+8613700001111")[0]["body"].split("code is ")[1][:6]
    sdk.register("+8613700001111", code, "correct horse 1")
    with sdk.feature("navigate_to_customer"):
        sdk.request_permission("location.precise", "navigate_to_customer")
        assert sdk.location.locate("navigate_to_customer", "customer_positioning").ok
    with sdk.feature("publish_product"):
        sdk.request_permission("camera", "publish_product")
        assert sdk.camera.take_photo("publish_product", "product_photos").ok
    sdk.flush()
    sink.close()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert {e["source"] for e in events} == {"sdk"}
    [read] = [e for e in events if e["type"] == "api.read" and e["api"] == "location.read"]
    assert read["purpose"] == "customer_positioning"
    uploads = [e for e in events if e["type"] == "net.upload"]
    assert {(u["endpoint"], u["feature"]) for u in uploads} == {
        ("/api/v1/media", "publish_product"),
        ("/api/v1/collect", "navigate_to_customer"),
    }
    result = CliRunner().invoke(main, ["audit", str(path), "--manifest", str(ZHENYI)])
    assert result.exit_code == 0, result.output
    # the same trace with the user's refusal of positioning is caught by its purpose
    refused = [
        {
            **e,
            "granted": [p for p in e["granted"] if p != "customer_positioning"],
            "refused": [*e["refused"], "customer_positioning"],
        }
        if e["type"] == "policy.agreed"
        else e
        for e in events
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in refused))
    result = CliRunner().invoke(
        main, ["audit", str(path), "--manifest", str(ZHENYI), "--format", "json"]
    )
    assert result.exit_code == 1
    assert {f["rule"] for f in json.loads(result.output)["findings"]} == {"CON-REFUSED"}
