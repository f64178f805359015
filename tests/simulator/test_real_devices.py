"""Evidence from real phones: App Privacy Reports and HAR captures imported as traces and
audited against the seed apps' policies (examples/real-devices/)."""

import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from consentkit.cli import main
from consentkit.simulator.rules import catalogue
from tests.conftest import ROOT

FILES = ROOT / "examples" / "real-devices"
MANIFESTS = ROOT / "examples" / "manifests"
BUNDLES = {
    "cargosoon": "com.cargosoon.app",
    "cope-erp": "com.thecopeservices.erp",
    "incs": "com.incs.messenger",
    "order-desk": "com.orderdesk.app",
    "zhenyi-erp": "cn.zhenyi.erp",
}
REPORT = "ios-privacy-report"


def _import(tmp_path, name, fmt, app, bundle=True, *extra):
    out = tmp_path / f"{app}-{name}.jsonl"
    args = ["trace", "import", str(FILES / name), "--format", fmt, "--app-id", app]
    if bundle:
        args += ["--bundle-id", BUNDLES[app]]
    result = CliRunner().invoke(main, [*args, "--out", str(out), *extra])
    return result, out


def _audit(trace, app, *extra):
    result = CliRunner().invoke(
        main,
        [
            "audit",
            str(trace),
            "--manifest",
            str(MANIFESTS / f"{app}.yaml"),
            "--format",
            "json",
            *extra,
        ],
    )
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("app", sorted(BUNDLES))
@pytest.mark.parametrize("name,fmt", [("App_Privacy_Report.ndjson", REPORT), ("{app}.har", "har")])
def test_a_well_behaved_seed_app_gives_no_finding(tmp_path, app, name, fmt):
    imported, trace = _import(tmp_path, name.format(app=app), fmt, app)
    assert imported.exit_code == 0, imported.output
    code, report = _audit(trace, app)
    assert report["findings"] == [] and code == 0
    assert report["devices"] == 1 and report["events"] > 2


PLANTED = [
    # (file, format, app, the rules it must give, a piece of the evidence's place in the file)
    ("App_Privacy_Report-planted.ndjson", REPORT, "cargosoon", {"NET-PARTY"}, "line 10"),
    ("App_Privacy_Report-planted.ndjson", REPORT, "cope-erp", {"CON-SCOPE"}, "line 2"),
    ("App_Privacy_Report-planted.ndjson", REPORT, "incs", {"CON-NEVER"}, "line 4"),
    ("App_Privacy_Report-planted.ndjson", REPORT, "order-desk", {"CON-SCOPE"}, "line 7"),
    ("App_Privacy_Report-planted.ndjson", REPORT, "zhenyi-erp", {"FREQ-LIMIT"}, "line 24"),
    ("order-desk-planted.har", "har", "order-desk", {"CON-PRE"}, "entries[1] POST"),
    ("cope-erp-planted.har", "har", "cope-erp", {"NET-PARTY", "NET-CATEGORY"}, "entries[5] GET"),
    ("zhenyi-erp-planted.har", "har", "zhenyi-erp", {"NET-TRACKING"}, "entries[5] POST"),
]


@pytest.mark.parametrize(
    "name,fmt,app,rules,where", PLANTED, ids=[f"{p[2]}-{p[1]}" for p in PLANTED]
)
def test_each_planted_problem_is_caught_by_its_rule_with_evidence_in_the_file(
    tmp_path, name, fmt, app, rules, where
):
    imported, trace = _import(tmp_path, name, fmt, app)
    assert imported.exit_code == 0, imported.output
    code, report = _audit(trace, app)
    assert code == 1
    assert {f["rule"] for f in report["findings"]} == rules
    refs = [ref for f in report["findings"] for ref in f["evidence_refs"]]
    assert refs and all(ref.startswith(name) for ref in refs)
    assert any(ref.endswith(where) or f"{where} " in ref for ref in refs), refs


def test_the_planted_lines_are_the_ones_named():
    """The evidence the test above expects is what the file holds at that place."""
    lines = (FILES / "App_Privacy_Report-planted.ndjson").read_text().splitlines()
    assert '"domain":"log.umeng-analytics.example"' in lines[9]
    assert '"category":"contacts"' in lines[1] and BUNDLES["cope-erp"] in lines[1]
    assert '"category":"contacts"' in lines[3] and BUNDLES["incs"] in lines[3]
    assert '"category":"microphone"' in lines[6]
    polls = [x for x in lines if BUNDLES["zhenyi-erp"] in x and "intervalBegin" in x]
    assert len(polls) == 10 and polls[6] == lines[23]  # the seventh read in a minute
    har = json.loads((FILES / "cope-erp-planted.har").read_text())["log"]["entries"]
    assert "lat=31.230416" in har[5]["request"]["url"]
    har = json.loads((FILES / "order-desk-planted.har").read_text())["log"]["entries"]
    assert har[1]["request"]["url"].endswith("/auth/code")
    assert har[3]["request"]["url"].endswith("/consents")  # agreed only afterwards


def test_records_of_other_apps_are_skipped_and_counted(tmp_path):
    imported, trace = _import(tmp_path, "App_Privacy_Report.ndjson", REPORT, "zhenyi-erp")
    records = [
        json.loads(x) for x in (FILES / "App_Privacy_Report.ndjson").read_text().splitlines()
    ]
    mine = [
        r
        for r in records
        if r.get("bundleID") == BUNDLES["zhenyi-erp"]
        or r.get("accessor", {}).get("identifier") == BUNDLES["zhenyi-erp"]
    ]
    assert f"{len(records) - len(mine)} of other apps skipped" in imported.stderr
    events = [json.loads(x) for x in trace.read_text().splitlines()]
    assert events[0]["type"] == "evidence.imported"
    assert events[0]["skipped"] == len(records) - len(mine)
    begins = [r for r in mine if r.get("kind") == "intervalBegin"]
    network = [r for r in mine if r["type"] == "networkActivity"]
    assert len([e for e in events if e["type"] == "api.read"]) == len(begins)
    assert len([e for e in events if e["type"] == "net.connect"]) == len(network)
    assert all(e["source"] == REPORT and e["app"] == "zhenyi-erp" for e in events)


def test_a_har_keeps_only_the_requests_that_name_the_app(tmp_path):
    imported, trace = _import(tmp_path, "cargosoon.har", "har", "cargosoon")
    entries = json.loads((FILES / "cargosoon.har").read_text())["log"]["entries"]
    foreign = [
        e for e in entries if BUNDLES["cargosoon"] not in json.dumps(e["request"]["headers"])
    ]
    assert foreign and f"{len(foreign)} of other apps skipped" in imported.stderr
    hosts = {
        e["domain"]
        for e in map(json.loads, trace.read_text().splitlines())
        if e["type"] == "net.connect"
    }
    assert hosts == {"api.cargosoon.example.com"}


def test_a_capture_with_the_agreement_call_judges_what_came_before_it(tmp_path):
    _, trace = _import(tmp_path, "order-desk.har", "har", "order-desk")
    events = [json.loads(x) for x in trace.read_text().splitlines()]
    assert "agreement" in events[0]["shows"] and "consent" in events[0]["shows"]
    agreed = next(e for e in events if e["type"] == "policy.agreed")
    uploads = [e for e in events if e["type"] == "net.upload"]
    assert uploads and all(e["seq"] > agreed["seq"] for e in uploads)
    assert agreed["version"] == "1.0" and "orders" in agreed["granted"]


def test_rules_the_evidence_cannot_show_are_not_judgeable_never_silent(tmp_path):
    _, trace = _import(tmp_path, "App_Privacy_Report.ndjson", REPORT, "cope-erp")
    _, report = _audit(trace, "cope-erp")
    (device,) = report["not_judgeable"]
    assert device["source"] == REPORT and device["shows"] == ["domains", "reads"]
    assert set(device["rules"]) == {
        r.id for r in catalogue() if r.missing(frozenset({"reads", "domains"}))
    }
    assert device["rules"]["CON-PRE"] == ["agreement"]
    assert device["rules"]["PERM-JIT"] == ["dialogs", "features"]
    assert {"CON-SCOPE", "CON-NEVER", "FREQ-LIMIT", "NET-PARTY"}.isdisjoint(device["rules"])
    _, trace = _import(tmp_path, "order-desk.har", "har", "order-desk")
    _, report = _audit(trace, "order-desk")
    unjudged = report["not_judgeable"][0]["rules"]
    assert "CON-PRE" not in unjudged and "NET-TRACKING" not in unjudged  # the capture shows consent
    assert unjudged["FREQ-LIMIT"] == ["reads"]
    text = (
        CliRunner()
        .invoke(main, ["audit", str(trace), "--manifest", str(MANIFESTS / "order-desk.yaml")])
        .output
    )
    assert "not judgeable from this source (har order-desk.har" in text
    assert "PERM-JIT (needs dialogs and features)" in text


def test_a_simulated_trace_has_nothing_unjudgeable(tmp_path):
    from tests.simulator.test_audit_cli import GOOD

    trace = tmp_path / "t.jsonl"
    trace.write_text("".join(json.dumps({**e, "app": "zhenyi-erp"}) + "\n" for e in GOOD))
    _, report = _audit(trace, "zhenyi-erp")
    assert report["not_judgeable"] == []


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = {"attrs": dict(attrs), "cells": []}
            self.rows.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._row["cells"].append(self._cell)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None


def test_the_html_report_shows_where_each_findings_evidence_sits(tmp_path):
    _, trace = _import(tmp_path, "cope-erp-planted.har", "har", "cope-erp")
    html = tmp_path / "report.html"
    result = CliRunner().invoke(
        main,
        ["audit", str(trace), "--manifest", str(MANIFESTS / "cope-erp.yaml"), "--html", str(html)],
    )
    assert result.exit_code == 1, result.output
    parser = _Cells()
    parser.feed(html.read_text("utf-8"))
    findings = [r for r in parser.rows if r["attrs"].get("class") == "finding"]
    assert len(findings) == 2
    for row in findings:
        place = "".join(row["cells"][-1])
        assert (
            place
            == "cope-erp-planted.har entries[5] GET https://collect.geo-insights.example/v2/ping"
        )
    unjudged = {
        r["attrs"]["data-rule"] for r in parser.rows if r["attrs"].get("class") == "unjudged"
    }
    assert "PERM-JIT" in unjudged and "NET-CATEGORY" not in unjudged
    judged = {r.id for r in catalogue()} - unjudged - {"NET-PARTY", "NET-CATEGORY"}
    clean = re.search(r"(\d+) rules with no findings", html.read_text("utf-8"))
    assert int(clean.group(1)) == len(judged)  # a rule not judged is not "clean"


BAD_INPUT = [
    ("cargosoon.har", REPORT, "line 1: not valid JSON"),
    ("App_Privacy_Report.ndjson", "har", "App Privacy Report, not a HAR file"),
]


@pytest.mark.parametrize("name,fmt,says", BAD_INPUT)
def test_the_wrong_format_is_an_input_error_naming_the_line(tmp_path, name, fmt, says):
    result, out = _import(tmp_path, name, fmt, "cargosoon")
    assert result.exit_code == 2 and says in result.stderr and not out.exists()
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "text,says",
    [
        ("", "the file is empty"),
        (
            '{"type":"access","accessor":{"identifier":"a.b"},"kind":"intervalBegin",'
            '"timeStamp":"2026-01-01T00:00:00Z"}\n',
            "line 1: access record without 'category'",
        ),
        (
            '{"type":"networkActivity","domain":"a.example","bundleID":"a.b","hits":1,'
            '"timeStamp":"2026-01-01T00:00:00Z"}\n{"type": \n',
            "line 2: not valid JSON",
        ),
        (
            '{"type":"access","accessor":{"identifier":"a.b"},"category":"camera",'
            '"kind":"intervalBegin","timeStamp":"yesterday"}\n',
            "line 1: 'timeStamp' is not an ISO-8601",
        ),
        (
            '{"stream":"com.apple.privacy.accounting.stream.tcc"}\n',
            "line 1: no access or networkActivity record",
        ),
        ("[" * 50000 + "\n", "line 1: JSON nested too deeply"),
    ],
)
def test_a_broken_report_is_an_input_error_naming_the_line(tmp_path, text, says):
    path = tmp_path / "report.ndjson"
    path.write_text(text)
    result = CliRunner().invoke(
        main,
        ["trace", "import", str(path), "--format", REPORT, "--app-id", "x", "--bundle-id", "a.b"],
    )
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    "doc,says",
    [
        ({"entries": []}, "not a HAR file: no log.entries"),
        (
            {
                "log": {
                    "entries": [
                        {
                            "request": {"url": "/x", "method": "GET"},
                            "startedDateTime": "2026-01-01T00:00:00Z",
                        }
                    ]
                }
            },
            "log.entries[0].request.url: not an absolute URL",
        ),
        (
            {"log": {"entries": [{"request": {"url": "https://a.example/", "method": "GET"}}]}},
            "log.entries[0].startedDateTime",
        ),
        (
            {
                "log": {
                    "entries": [
                        {
                            "startedDateTime": "2026-01-01T00:00:00Z",
                            "request": {
                                "url": "https://a.example/",
                                "method": "POST",
                                "postData": {
                                    "mimeType": "image/jpeg",
                                    "text": "%%%",
                                    "encoding": "base64",
                                },
                            },
                        }
                    ]
                }
            },
            "postData.text: not valid base64",
        ),
        ({"log": {"entries": []}}, "the capture holds no request"),
    ],
)
def test_a_broken_har_is_an_input_error_naming_the_entry(tmp_path, doc, says):
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(
        main, ["trace", "import", str(path), "--format", "har", "--app-id", "x"]
    )
    assert result.exit_code == 2, result.output
    assert says in result.stderr and "Traceback" not in result.output


def test_a_report_of_several_apps_needs_the_bundle_id(tmp_path):
    result, _ = _import(tmp_path, "App_Privacy_Report.ndjson", REPORT, "incs", False)
    assert result.exit_code == 2
    assert "name one with --bundle-id" in result.stderr and BUNDLES["incs"] in result.stderr
    result = CliRunner().invoke(
        main,
        [
            "trace",
            "import",
            str(FILES / "App_Privacy_Report.ndjson"),
            "--format",
            REPORT,
            "--app-id",
            "incs",
            "--bundle-id",
            "com.example.absent",
        ],
    )
    assert result.exit_code == 2 and "holds no record of com.example.absent" in result.stderr


def test_a_photo_with_gps_in_a_capture_is_seen_as_location(tmp_path):
    import base64

    from consentkit.device_sdk.media import jpeg_with_gps

    photo = base64.b64encode(jpeg_with_gps(31.2304, 121.4737)).decode()
    doc = {
        "log": {
            "version": "1.2",
            "entries": [
                {
                    "startedDateTime": "2026-11-24T14:03:51+08:00",
                    "request": {
                        "method": "PUT",
                        "url": "https://cdn.unknown-uploads.example/u/1.jpg",
                        "headers": [{"name": "Content-Type", "value": "image/jpeg"}],
                        "postData": {"mimeType": "image/jpeg", "text": photo, "encoding": "base64"},
                    },
                    "response": {"status": 200},
                }
            ],
        }
    }
    result, out = _run_import(tmp_path, json.dumps(doc), "har", app="zhenyi-erp")
    assert result.exit_code == 0, result.output
    (upload,) = of_type(out, "net.upload")
    assert upload["gps_in_media"] is True and upload["domain"] == "cdn.unknown-uploads.example"
    _, report = _audit(out, "zhenyi-erp")
    assert {f["rule"] for f in report["findings"]} == {"NET-PARTY", "NET-CATEGORY"}


def test_the_readme_runs_the_real_device_commands(tmp_path, monkeypatch):
    """The README's two commands per source, run as written (in a scratch directory that
    sees the checkout's examples/), give the findings the README says."""
    import shlex

    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Auditing real phones", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line for line in block.splitlines() if line.startswith(".venv/bin/consentkit ")]
    assert len(commands) == 4, commands
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    codes = []
    for line in commands:
        result = CliRunner().invoke(main, shlex.split(line)[1:])
        codes.append(result.exit_code)
    assert codes == [0, 1, 0, 1], codes
    assert (tmp_path / "report.html").exists()
    for rule in re.findall(r"`((?:NET|CON|FREQ)-[A-Z-]+)`", section):
        assert rule in {r.id for r in catalogue()}, rule


def test_the_guide_says_which_rules_each_source_judges():
    """docs/real-devices.md's table agrees with the catalogue's `judges` and `needs`."""
    text = (ROOT / "docs" / "real-devices.md").read_text("utf-8")
    table = text.split("The rules each source can judge:", 1)[1].split("\n\n", 2)[1]
    report = frozenset({"reads", "domains"})
    capture = frozenset({"uploads", "domains", "agreement", "consent"})  # with consent calls
    rules = {r.id: r for r in catalogue()}
    seen = set()
    for row in table.splitlines()[2:]:
        names, on_report, on_capture = (c.strip() for c in row.strip("|").split("|"))
        for name in names.split(", "):
            ids = [i for i in rules if i.startswith(name[:-1])] if name.endswith("*") else [name]
            for rule in ids:
                seen.add(rule)
                assert on_report.startswith("not judgeable") == bool(rules[rule].missing(report)), (
                    rule
                )
                assert on_capture.startswith("not judgeable") == bool(
                    rules[rule].missing(capture)
                ), rule
    assert seen == set(rules)


def test_junit_marks_what_the_evidence_cannot_judge_as_skipped(tmp_path):
    from junitparser import JUnitXml, Skipped

    _, trace = _import(tmp_path, "App_Privacy_Report.ndjson", REPORT, "incs")
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(
        main,
        ["audit", str(trace), "--manifest", str(MANIFESTS / "incs.yaml"), "--junit", str(junit)],
    )
    assert result.exit_code == 0, result.output
    (suite,) = list(JUnitXml.fromfile(str(junit)))
    skipped = {
        case.name.split(":")[0]
        for case in suite
        if any(isinstance(r, Skipped) for r in case.result)
    }
    cannot = {r.id for r in catalogue() if r.missing(frozenset({"reads", "domains"}))}
    assert skipped == cannot and suite.skipped == len(cannot)
    assert suite.failures == 0


def test_a_multipart_photo_as_mitmproxy_writes_it_keeps_its_gps(tmp_path):
    """mitmproxy writes a request body without a charset decoded as latin-1, no base64."""
    from consentkit.device_sdk.media import jpeg_with_gps

    boundary = "alamofire.boundary.5f2c"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg_with_gps(31.2304, 121.4737)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    mime = f"multipart/form-data; boundary={boundary}"
    doc = {"log": {"version": "1.2", "creator": {"name": "mitmproxy", "version": "10.3.1"},
                   "entries": [{
        "startedDateTime": "2026-11-24T06:03:51.726810+00:00",
        "request": {"method": "POST", "url": "https://api.zhenyi.example.cn/api/v1/media",
                    "headers": [{"name": "content-type", "value": mime}],
                    "postData": {"mimeType": mime, "text": body.decode("latin-1"), "params": []}},
        "response": {"status": 201}}]}}  # fmt: skip
    result, out = _run_import(tmp_path, json.dumps(doc), "har", app="zhenyi-erp")
    assert result.exit_code == 0, result.output
    (upload,) = of_type(out, "net.upload")
    assert upload["images"] == 1 and upload["gps_in_media"] is True


def _har(*entries):
    return {"log": {"version": "1.2", "entries": list(entries)}}


def _req(url, method="GET", body=None, headers=(), status=200, t="2026-11-24T06:03:51+00:00"):
    request = {
        "method": method,
        "url": url,
        "headers": [{"name": k, "value": v} for k, v in headers],
    }
    if body is not None:
        request["postData"] = {"mimeType": "application/json", "text": json.dumps(body)}
    return {"startedDateTime": t, "request": request, "response": {"status": status}}


def of_type(trace, kind):
    return [e for e in map(json.loads, trace.read_text().splitlines()) if e["type"] == kind]


def _run_import(tmp_path, text, fmt, *extra, app="cope-erp"):
    path = tmp_path / ("in.har" if fmt == "har" else "in.ndjson")
    path.write_text(text, "utf-8", errors="surrogatepass")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "trace",
            "import",
            str(path),
            "--format",
            fmt,
            "--app-id",
            app,
            "--out",
            str(out),
            *extra,
        ],
    )
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result, out


ACCESS = (
    '{"type":"access","accessor":{"identifier":"a.b","identifierType":"bundleID"},'
    '"category":"%s","identifier":%s,"kind":"%s","timeStamp":"%s"}'
)


@pytest.mark.parametrize(
    "text,fmt,says",
    [
        (json.dumps(_har(_req("https://[2001:db8::1/x"))), "har", "log.entries[0].request.url"),
        ('{"log":{"entries":[],"x":' + "1" * 5000 + "}}", "har", "not valid JSON"),
        ('{"type":"networkActivity","domain":"a.example","bundleID":["x"],"timeStamp":"2026-01-01T00:00:00Z"}',
         "ios-privacy-report", "line 1: networkActivity record without 'bundleID'"),
        ('{"type":"access","accessor":"x","category":"camera","kind":"intervalBegin","timeStamp":"2026-01-01T00:00:00Z"}',
         "ios-privacy-report", "line 1: access record without 'accessor.identifier'"),
        ('{"type":"networkActivity","domain":".","bundleID":"a.b","timeStamp":"2026-01-01T00:00:00Z"}',
         "ios-privacy-report", "line 1: networkActivity record with domain '.'"),
        ('{"type":"networkActivity","domain":"a.example","bundleID":"a.b","hits":'
         + "9" * 5000 + "}",
         "ios-privacy-report", "line 1: not valid JSON"),
    ],
)  # fmt: skip
def test_hostile_evidence_is_an_input_error(tmp_path, text, fmt, says):
    result, out = _run_import(tmp_path, text, fmt)
    assert result.exit_code == 2 and says in result.stderr and not out.exists(), result.output


def test_odd_but_valid_values_are_kept_as_one_audited_line_each(tmp_path):
    """A lone surrogate, a line separator and a withdrawal with a malformed body: imported,
    one JSON line per event, and the trace audits."""
    consent = "https://api.thecopeservices.com/api/v1/consents"
    doc = _har(
        _req("https://api.thecopeservices.com/a\u2028b?phone=13812345678"),
        _req("https://api.thecopeservices.com/x/\ud800?email=a@b.example"),
        _req(consent + "/withdraw", "POST", {"purposes": 5}),
        _req(consent + "/withdraw", "POST", {"purposes": "cloud_sync"}),
        _req("https://api.thecopeservices.com/s?phone=13812345678", status=True),
    )
    result, out = _run_import(tmp_path, json.dumps(doc), "har")
    assert result.exit_code == 0, result.output
    lines = out.read_text("utf-8").split("\n")[:-1]
    events = [json.loads(x) for x in lines]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert not [e for e in events if e["type"] == "consent.withdrawn"]  # nothing it could name
    last = events[-1]  # a status that is no number is no answer
    assert last["type"] == "net.response" and last["error"] == "no response in the capture"
    audited = CliRunner().invoke(
        main, ["audit", str(out), "--manifest", str(MANIFESTS / "cope-erp.yaml")]
    )
    assert audited.exit_code in (0, 1), audited.output


def test_a_ref_never_carries_credentials_or_the_query_string(tmp_path):
    doc = _har(_req("https://alice:s3cret@api.thecopeservices.com:8443/p?phone=13812345678"))
    _, out = _run_import(tmp_path, json.dumps(doc), "har")
    text = out.read_text()
    assert "s3cret" not in text and "13812345678" not in text
    assert "GET https://api.thecopeservices.com:8443/p" in text


def test_the_bundle_id_must_be_named_as_a_whole(tmp_path):
    ua = (
        "user-agent",
        "COPE Lite/1.0 (com.thecopeservices.erp.lite; build:1; iOS 17.5) Alamofire/5.9.1",
    )
    referer = ("referer", "https://www.example.com/?from=com.thecopeservices.erp")
    mine = (
        "user-agent",
        "COPE/5.1 (com.thecopeservices.erp; build:5104; iOS 17.5) Alamofire/5.9.1",
    )
    doc = _har(
        _req("https://a.example/1", headers=[ua]),
        _req("https://b.example/2", headers=[referer]),
        _req("https://api.thecopeservices.com/3", headers=[mine]),
    )
    result, out = _run_import(
        tmp_path, json.dumps(doc), "har", "--bundle-id", "com.thecopeservices.erp"
    )
    assert "2 of other apps skipped" in result.stderr
    hosts = [
        e["domain"]
        for e in map(json.loads, out.read_text().splitlines())
        if e["type"] == "net.connect"
    ]
    assert hosts == ["api.thecopeservices.com"]


def test_an_access_pairs_with_its_own_end_only(tmp_path):
    lines = [
        ACCESS % ("location", "null", "intervalBegin", "2026-11-23T09:00:00+08:00"),
        ACCESS % ("location", "null", "intervalEnd", "2026-11-23T08:44:13+08:00"),
        ACCESS % ("camera", '"E1"', "intervalBegin", "2026-11-23T09:10:00+08:00"),
        ACCESS % ("camera", '"E1"', "intervalEnd", "2026-11-23T09:10:07+08:00"),
        ACCESS % ("contacts", '"E2"', "event", "2026-11-23T09:20:00+08:00"),
    ]
    result, out = _run_import(tmp_path, "\r\n".join(lines) + "\r\n", "ios-privacy-report")
    assert result.exit_code == 0, result.output
    reads = [e for e in map(json.loads, out.read_text().splitlines()) if e["type"] == "api.read"]
    assert [(r["resource"], r.get("until")) for r in reads] == [
        ("location", None),
        ("camera", "2026-11-23T09:10:07.000+08:00"),
        ("contacts", None),  # a point access (the kind older exports write) is a read too
    ]
    assert reads[2]["ref"].endswith("line 5")


def test_a_device_id_is_one_printable_line(tmp_path):
    result = CliRunner().invoke(
        main,
        ["trace", "import", str(FILES / "cargosoon.har"), "--format", "har",
         "--app-id", "cargosoon", "--device", "phone\nINJECTED"],
    )  # fmt: skip
    assert result.exit_code == 2 and "printable characters" in result.output
