"""HTTP captures in HAR 1.2 (mitmproxy, Charles, Proxyman, browser tools): every request a
phone made, with its URL, headers and body.

Each request's bytes go through the detector the virtual phone's network uses
(``policy.detect``), so a capture and a simulation name the same data the same way. Every
host becomes a ``net.connect`` at its first request; a request carrying personal data, a
``net.upload`` with its domain; the consentkit API's consent calls, the agreement and
the choices they recorded. A capture holds no OS dialogs and no features.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ...device_sdk.sdk import FEATURE_HEADER, PURPOSE_HEADER
from ...policy.detect import detect_request
from ..network import api_path, flow_of
from .common import (
    EventBuilder,
    EvidenceError,
    EvidenceFile,
    Imported,
    parse_time,
    source_table,
)

__all__ = ["import_har"]

FORMAT = "har"


def _document(text: str) -> list[Any]:
    try:
        doc = json.loads(text)
    except RecursionError:
        raise EvidenceError(0, "JSON nested too deeply for a HAR file") from None
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):  # e.g. an integer of 5,000 digits
            raise EvidenceError(0, f"not valid JSON ({exc})") from None
        if text.lstrip().startswith("{") and '"networkActivity"' in text[:5000] + text[-5000:]:
            raise EvidenceError(
                exc.lineno,
                "this is an App Privacy Report, not a HAR file; use --format ios-privacy-report",
            ) from None
        raise EvidenceError(exc.lineno, f"not valid JSON ({exc.msg})") from None
    log = doc.get("log") if isinstance(doc, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise EvidenceError(
            0, 'not a HAR file: no log.entries (HAR 1.2 has {"log": {"entries": [...]}})'
        )
    return log["entries"]


def _headers(where: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise EvidenceError(0, f"{where}: headers must be a list of {{name, value}}")
    out = {}
    for h in value:
        if isinstance(h, dict) and isinstance(h.get("name"), str):
            out[h["name"].lower()] = str(h.get("value", ""))
    return out


def _body(where: str, post: Any) -> tuple[str | None, bytes]:
    """The request body and its type, as the bytes that were sent. HAR 1.2 holds a body as
    text: some tools mark binary bodies as base64 (``encoding: base64``); mitmproxy decodes
    a body by its charset, JSON as UTF-8, and anything else without a charset (a multipart
    upload of a photo) as latin-1, which gives the bytes back exactly."""
    if not isinstance(post, dict):
        return None, b""
    mime = post.get("mimeType") if isinstance(post.get("mimeType"), str) else None
    text = post.get("text")
    if text is None and isinstance(post.get("params"), list):
        pairs = [
            f"{p.get('name', '')}={p.get('value', '')}"
            for p in post["params"]
            if isinstance(p, dict)
        ]
        return mime or "application/x-www-form-urlencoded", "&".join(pairs).encode()
    if not isinstance(text, str):
        return mime, b""
    if post.get("encoding") == "base64":
        try:
            return mime, base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise EvidenceError(0, f"{where}.postData.text: not valid base64") from None
    kind = (mime or "").lower()
    if "charset" not in kind and "json" not in kind:
        try:
            return mime, text.encode("latin-1")  # one byte per character
        except UnicodeEncodeError:
            pass  # a tool that wrote the text as Unicode
    return mime, text.encode("utf-8", "surrogateescape")


def _json(data: Any) -> dict[str, Any]:
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        value = json.loads(data) if isinstance(data, str) and data else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _consent_call(method: str, path: str) -> str | None:
    for name, call in source_table()["consent_calls"].items():
        if method == call["method"] and api_path(path).rstrip("/") == call["path"]:
            return name
    return None


class _Consents:
    """The consent choices a capture shows, as trace events."""

    def __init__(self) -> None:
        self.agreed = False
        self.granted: set[str] = set()
        self.seen = False

    def call(
        self, name: str, request: dict[str, Any], answer: dict[str, Any]
    ) -> list[tuple[str, dict]]:
        state = answer.get("state") if isinstance(answer.get("state"), dict) else {}
        purposes = state.get("purposes") if isinstance(state.get("purposes"), dict) else {}
        now = {p for p, v in purposes.items() if isinstance(v, dict) and v.get("granted")}
        self.seen = True
        if name == "withdraw":
            listed = request.get("purposes")
            gone = [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []
            self.granted -= set(gone)
            return [("consent.withdrawn", {"purposes": sorted(gone)})] if gone else []
        version = state.get("agreed_version") or request.get("policy_version")
        version = version if isinstance(version, str) else None
        if name == "state":
            if self.agreed or not state.get("agreed_version"):
                return []
            return self._agree(version, now or self.granted, purposes, before_capture=True)
        asked = request.get("purposes") if isinstance(request.get("purposes"), dict) else {}
        asked = {p: v for p, v in asked.items() if isinstance(v, bool)}
        if not self.agreed:
            chosen = now or {p for p, v in asked.items() if v is True}
            return self._agree(version, chosen, purposes or asked, before_capture=False)
        out = []
        granted = sorted(p for p, v in asked.items() if v is True and p not in self.granted)
        withdrawn = sorted(p for p, v in asked.items() if v is False and p in self.granted)
        if granted:
            out.append(("consent.granted", {"purposes": granted}))
        if withdrawn:
            out.append(("consent.withdrawn", {"purposes": withdrawn}))
        self.granted = (self.granted | set(granted)) - set(withdrawn)
        return out

    def _agree(self, version: Any, granted: set[str], known: dict, *, before_capture: bool):
        self.agreed = True
        self.granted = set(granted)
        refused = sorted(set(known) - self.granted)
        fields = {
            "version": str(version or ""),
            "granted": sorted(self.granted),
            "refused": refused,
        }
        if before_capture:
            fields["before_capture"] = True
        return [("policy.agreed", fields)]


@dataclass
class _Entry:
    """One request of the app, as the capture holds it."""

    index: int
    t: datetime
    method: str
    url: str
    host: str
    path: str
    shown: str  # scheme, host, port and path: no credentials, no query string
    headers: dict[str, str]
    request: dict[str, Any]
    response: dict[str, Any]


def _entry(i: int, entry: Any) -> _Entry:
    where = f"log.entries[{i}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
        raise EvidenceError(0, f"{where}: an entry is an object with a request")
    request = entry["request"]
    t = parse_time(entry.get("startedDateTime"))
    if t is None:
        raise EvidenceError(0, f"{where}.startedDateTime: not an ISO-8601 time")
    url, method = request.get("url"), request.get("method")
    if not isinstance(url, str) or not isinstance(method, str) or not method:
        raise EvidenceError(0, f"{where}.request: needs a url and a method")
    try:
        split = urlsplit(url)
        host, port = split.hostname, split.port
    except ValueError as exc:
        raise EvidenceError(0, f"{where}.request.url: {exc}: {url[:80]!r}") from None
    if not host or split.scheme not in ("http", "https", "ws", "wss"):
        raise EvidenceError(0, f"{where}.request.url: not an absolute URL: {url[:80]!r}")
    netloc = f"[{host}]" if ":" in host else host
    shown = f"{split.scheme}://{netloc}{f':{port}' if port else ''}{split.path}"
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    headers = _headers(f"{where}.request", request.get("headers"))
    return _Entry(i, t, method.upper(), url, host, split.path, shown, headers, request, response)


def _names_app(entry: _Entry, bundle_id: str) -> bool:
    """Does the request say it comes from this app? Its User-Agent (Alamofire and most iOS
    clients write the bundle id there) or an Android web view's X-Requested-With names it
    as a whole word, not as part of another id (``com.example.app.lite``)."""
    token = re.compile(rf"(?<![\w.-]){re.escape(bundle_id)}(?![\w.-])", re.IGNORECASE)
    return any(
        token.search(entry.headers.get(name, "")) for name in ("user-agent", "x-requested-with")
    )


def _status(response: dict[str, Any]) -> int | None:
    status = response.get("status")
    if isinstance(status, int) and not isinstance(status, bool) and status > 0:
        return status
    return None


def _answer(response: dict[str, Any]) -> dict[str, Any]:
    content = response.get("content") if isinstance(response.get("content"), dict) else {}
    text = content.get("text")
    if content.get("encoding") == "base64" and isinstance(text, str):
        try:
            text = base64.b64decode(text).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            text = ""
    return _json(text)


def import_har(
    evidence: EvidenceFile, *, app_id: str, bundle_id: str | None, device: str | None
) -> Imported:
    entries = _document(evidence.text())
    name = evidence.name
    builder = EventBuilder(device or f"{FORMAT}:{name}", app_id, FORMAT)
    parsed: list[_Entry] = []
    other: Counter = Counter()
    for i, raw in enumerate(entries):
        entry = _entry(i, raw)
        if bundle_id and not _names_app(entry, bundle_id):
            other[entry.headers.get("user-agent", "?")[:60]] += 1
            continue
        parsed.append(entry)
    if not parsed:
        of = f" of {bundle_id}" if bundle_id else ""
        raise EvidenceError(0, f"the capture holds no request{of}")
    parsed.sort(key=lambda e: (e.t, e.index))
    hosts = Counter(e.host for e in parsed)
    connected: set[str] = set()
    consents = _Consents()
    start = parsed[0].t
    number = 0
    for e in parsed:
        ref = f"{name} entries[{e.index}] {e.method} {e.shown}"
        if e.host not in connected:
            connected.add(e.host)
            builder.add(
                e.t, "net.connect", domain=e.host, hits=hosts[e.host], initiated="app", ref=ref
            )
        status = _status(e.response)
        ctype, body = _body(f"log.entries[{e.index}].request", e.request.get("postData"))
        call = _consent_call(e.method, e.path)
        if call is not None:
            if status is not None and 200 <= status < 300:
                for kind, fields in consents.call(call, _json(body), _answer(e.response)):
                    if fields.get("before_capture"):  # agreed before the capture began
                        builder.add(start, kind, first=True, ref=ref, **fields)
                    else:
                        builder.add(e.t, kind, ref=ref, **fields)
            continue  # the ledger's own calls carry choices, not collected data
        found = detect_request(e.method, e.url, ctype or e.headers.get("content-type"), body)
        if not found.parts:
            continue
        number += 1
        feature = e.headers.get(FEATURE_HEADER.lower())
        purpose = e.headers.get(PURPOSE_HEADER.lower())
        for part in found.parts:
            fields: dict[str, Any] = {
                "request": number,
                "method": e.method,
                "endpoint": e.path,
                "domain": e.host,
                "categories": sorted(part.categories),
                "items": part.items,
            }
            if part.feature or part.purpose or feature or purpose:
                fields.update(feature=part.feature or feature, purpose=part.purpose or purpose)
            if part.contacts:
                fields["contacts"] = part.contacts
            if part.images:
                fields.update(images=part.images, gps_in_media=part.gps_in_media)
            if flow_of(e.path):
                fields["flow"] = flow_of(e.path)
            builder.add(e.t, "net.upload", ref=ref, **fields)
        answer: dict[str, Any] = {"request": number}
        if status is not None:
            answer["status"] = status
        else:
            answer["error"] = "no response in the capture"
        builder.add(e.t, "net.response", ref=ref, **answer)
    table = source_table()["sources"][FORMAT]
    shows = list(table["shows"]) + (
        list(table["shows_with_consent_calls"]) if consents.seen else []
    )
    header = {
        "format": FORMAT,
        "file": name,
        "bundle": bundle_id,
        "shows": shows,
        "records": len(entries),
        "skipped": sum(other.values()),
    }
    return Imported(builder.finish(header), len(entries), len(parsed), dict(other))
