"""Personal data in bytes that leave a phone: which taxonomy categories a request carries.

The inverse of ``payloads``: given what an app actually sent — a JSON body, a form, a
multipart upload, a query string — say which data categories are in it, how many items,
which known values (a device's identifiers, its address-book entries, planted canaries),
and whether an image carries a GPS position. The table of keys and patterns is data
(``data/detectors.yaml``). The virtual phone's network observation uses it, and so can an
importer of real-device captures; both get the same answer for the same bytes.

    found = detect_request("POST", "https://h/api/v1/collect", "application/json", body)
    found.categories            # {"user.location.precise"}
    found.parts[0].purpose      # what the SDK's envelope declared, when it did

``encodings``, ``find_values`` and ``scan_text`` find values in text written any way a
server might log it (percent-encoded, JSON-escaped, HTML-escaped, base64).
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import compat32
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

import yaml

from .taxonomy import taxonomy

__all__ = [
    "Detection",
    "Known",
    "Part",
    "detect_request",
    "detect_value",
    "encodings",
    "find_values",
    "image_has_gps",
    "location_category",
    "phone_key",
    "scan_text",
]

MIN_BASE64 = 24  # shorter strings are ids and tokens, not hidden payloads
MAX_NESTING = 64  # deeper JSON is read for its values as text, never walked (stack depth)


@dataclass(frozen=True)
class Known:
    """A value the device handed to the app: its category and, for entries counted one
    by one (address-book contacts), the identity of the entry it belongs to."""

    category: str | None
    identity: str | None = None


@dataclass
class Part:
    """The personal data of one declared (feature, purpose) in a request; a request that
    declares nothing (an app's own JSON) is one part."""

    feature: str | None = None
    purpose: str | None = None
    categories: set[str] = field(default_factory=set)
    items: int = 0
    contacts: int = 0
    contact_ids: set[str] = field(default_factory=set)
    images: int = 0
    gps_in_media: bool = False
    known: set[str] = field(default_factory=set)

    def merge(self, other: Part) -> None:
        self.categories |= other.categories
        self.items += other.items
        self.contacts += other.contacts
        self.contact_ids |= other.contact_ids
        self.images += other.images
        self.gps_in_media = self.gps_in_media or other.gps_in_media
        self.known |= other.known


@dataclass
class Detection:
    parts: list[Part] = field(default_factory=list)

    @property
    def categories(self) -> set[str]:
        return {c for p in self.parts for c in p.categories}


# the table ------------------------------------------------------------------------------


def _norm_key(key: str) -> str:
    return re.sub(r"[\s_\-]", "", str(key)).lower()


@dataclass(frozen=True)
class _Table:
    keys: dict[str, str]
    lat: frozenset[str]
    lon: frozenset[str]
    accuracy: frozenset[str]
    coarse_decimals: int
    coarse_accuracy: float
    precise: str
    coarse: str
    values: tuple[tuple[str, re.Pattern[str], str | None], ...]
    contact_names: frozenset[str]
    contact_reach: frozenset[str]
    contact_category: str
    signatures: tuple[bytes, ...]
    image_category: str


@cache
def _table() -> _Table:
    raw = yaml.safe_load(
        resources.files("consentkit.policy").joinpath("data/detectors.yaml").read_text("utf-8")
    )
    known = taxonomy().categories
    named = [c for c in raw["keys"]] + [v["category"] for v in raw["values"]]
    named += [raw["location"]["precise"], raw["location"]["coarse"]]
    named += [raw["contacts"]["category"], raw["images"]["category"]]
    unknown = sorted({c for c in named if c not in known})
    if unknown:
        raise RuntimeError(f"detectors.yaml names categories the taxonomy lacks: {unknown}")
    loc = raw["location"]
    return _Table(
        keys={_norm_key(k): cat for cat, ks in raw["keys"].items() for k in ks},
        lat=frozenset(map(_norm_key, loc["lat"])),
        lon=frozenset(map(_norm_key, loc["lon"])),
        accuracy=frozenset(map(_norm_key, loc["accuracy"])),
        coarse_decimals=loc["coarse_max_decimals"],
        coarse_accuracy=float(loc["coarse_min_accuracy_m"]),
        precise=loc["precise"],
        coarse=loc["coarse"],
        values=tuple(
            (v["category"], re.compile(v["pattern"]), v.get("check")) for v in raw["values"]
        ),
        contact_names=frozenset(map(_norm_key, raw["contacts"]["name"])),
        contact_reach=frozenset(map(_norm_key, raw["contacts"]["reach"])),
        contact_category=raw["contacts"]["category"],
        signatures=tuple(bytes.fromhex(s) for s in raw["images"]["signatures"]),
        image_category=raw["images"]["category"],
    )


# small facts -----------------------------------------------------------------------------


def phone_key(value: str) -> str | None:
    """A phone number reduced to what identifies it (the national number's digits), so
    ``+86 138-0013-8000`` and ``13800138000`` are the same number; None if it is not one."""
    digits = re.sub(r"\D", "", value)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if 7 <= len(digits) <= 15 else None


def _decimals(number: float) -> int:
    text = repr(float(number))
    if "e" in text:
        return 10
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def location_category(lat: float, lon: float, accuracy_m: float | None = None) -> str:
    """Precise unless the coordinates are rounded to about a kilometre or the accuracy
    claimed is that coarse."""
    t = _table()
    rounded = max(_decimals(lat), _decimals(lon)) <= t.coarse_decimals
    if rounded or (accuracy_m is not None and accuracy_m >= t.coarse_accuracy):
        return t.coarse
    return t.precise


def _gb11643(text: str) -> bool:
    """The check character of a mainland resident identity number (ISO 7064 MOD 11-2)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    if not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], weights, strict=True))
    return "10X98765432"[total % 11] == text[17].upper()


CHECKS = {"gb11643": _gb11643}


def _is_image(data: bytes) -> bool:
    return any(data.startswith(sig) for sig in _table().signatures)


def image_has_gps(data: bytes) -> bool:
    """Does this image carry a GPS position in its EXIF?"""
    from PIL import ExifTags, Image, UnidentifiedImageError

    try:
        gps = Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except (UnidentifiedImageError, OSError, ValueError):
        return False
    return ExifTags.GPS.GPSLatitude in gps and ExifTags.GPS.GPSLongitude in gps


def _base64(text: str) -> bytes | None:
    candidate = text.split(",", 1)[1] if text.startswith("data:") and "," in text else text
    if len(candidate) < MIN_BASE64 or not re.fullmatch(r"[A-Za-z0-9+/_-]+=*", candidate):
        return None
    try:
        return base64.b64decode(
            candidate + "=" * (-len(candidate) % 4),
            altchars=b"-_" if ("-" in candidate or "_" in candidate) else None,
        )
    except (binascii.Error, ValueError):
        return None


# walking what was sent -------------------------------------------------------------------


class _Walker:
    """Walks a parsed body and fills the parts; envelopes (``{category, purpose, feature,
    payload}``, the SDK's queued events) open a part of their own."""

    def __init__(self, known: Mapping[str, Known]) -> None:
        self.t = _table()
        self.known = known
        self.phones = {k: v for k, v in ((phone_key(v), kv) for v, kv in known.items()) if k}
        others = sorted((v for v in known if len(v) >= 6), key=len, reverse=True)
        self.known_re = re.compile("|".join(map(re.escape, others))) if others else None
        self.envelopes: list[Part] = []
        self.nesting = 0

    # values ------------------------------------------------------------------------------
    def _hit(self, part: Part, known: Known) -> None:
        if known.category:
            part.categories.add(known.category)
        if known.category == self.t.contact_category and known.identity:
            part.contact_ids.add(known.identity)
        elif known.identity:
            part.known.add(known.identity)

    def text(self, value: str, part: Part, depth: int = 0, *, parse: bool = True) -> None:
        """A string: known values, nested JSON, base64 payloads, then value patterns
        (``parse=False``: the patterns only, for JSON too deep to walk)."""
        if depth > 3 or not value:
            return
        stripped = value.strip()
        if parse and stripped[:1] in "[{":
            try:
                self.node(json.loads(stripped), part, depth + 1)
                return
            except RecursionError:
                self.text(value, part, depth, parse=False)  # nested deeper than any payload
                return
            except ValueError:
                pass  # not JSON
        raw = _base64(stripped)
        if raw is not None:
            if _is_image(raw):
                self.image(raw, part, None)
                return
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                decoded = None
            if decoded and decoded.isprintable():
                self.text(decoded, part, depth + 1)
        if self.known_re is not None:
            for match in self.known_re.finditer(value):
                self._hit(part, self.known[match.group(0)])
        for category, pattern, check in self.t.values:
            for match in pattern.finditer(value):
                if check and not CHECKS[check](match.group(0)):
                    continue
                key = phone_key(match.group(0)) if category.endswith("phone_number") else None
                if key and key in self.phones:
                    self._hit(part, self.phones[key])
                else:
                    part.categories.add(category)

    def scalar(self, value: Any, part: Part, category: str) -> None:
        """A value under a key that names its category."""
        if value in (None, "", [], {}):
            return
        if isinstance(value, str):
            key = phone_key(value) if category.endswith("phone_number") else None
            if key and key in self.phones:
                self._hit(part, self.phones[key])
                return
            if value in self.known:
                self._hit(part, self.known[value])
                return
        part.categories.add(category)
        if isinstance(value, list) and category == self.t.contact_category:
            part.contacts += len(value)

    # containers --------------------------------------------------------------------------
    def node(self, value: Any, part: Part, depth: int = 0) -> None:
        if isinstance(value, dict | list):
            if self.nesting >= MAX_NESTING:
                self.text(_leaves(value), part, depth, parse=False)  # its values, not its shape
                return
            self.nesting += 1
            try:
                if isinstance(value, dict):
                    self.mapping(value, part, depth)
                else:
                    self.sequence(value, part, depth)
            finally:
                self.nesting -= 1
        elif isinstance(value, str):
            self.text(value, part, depth)

    def _envelope(self, value: dict[str, Any]) -> bool:
        category = value.get("category")
        return (
            isinstance(category, str)
            and category in taxonomy().categories
            and "payload" in value
            and ("purpose" in value or "feature" in value)
        )

    def mapping(self, value: dict[str, Any], part: Part, depth: int) -> None:
        if self._envelope(value):
            self.envelope(value)
            return
        keys = {_norm_key(k): k for k in value}
        lat = next((keys[k] for k in keys if k in self.t.lat), None)
        lon = next((keys[k] for k in keys if k in self.t.lon), None)
        used = set()
        if lat and lon and _number(value[lat]) is not None and _number(value[lon]) is not None:
            accuracy = next((value[keys[k]] for k in keys if k in self.t.accuracy), None)
            part.categories.add(
                location_category(_number(value[lat]), _number(value[lon]), _number(accuracy))
            )
            used = {lat, lon}
        for key, item in value.items():
            if key in used:
                continue
            category = self.t.keys.get(_norm_key(key))
            if category is not None:
                self.scalar(item, part, category)  # the whole value is that category
                continue
            self.node(item, part, depth)

    def _contact_list(self, value: list[Any]) -> bool:
        if not value or not all(isinstance(v, dict) for v in value):
            return False
        t = self.t
        for entry in value:
            names = {_norm_key(k) for k in entry}
            if not (names & t.contact_names and names & t.contact_reach):
                return False
        return True

    def sequence(self, value: list[Any], part: Part, depth: int) -> None:
        if self._contact_list(value):
            part.categories.add(self.t.contact_category)
            part.contacts += len(value)
            for entry in value:
                probe = Part()
                self.mapping(entry, probe, depth)
                part.contact_ids |= probe.contact_ids
            return
        for item in value:
            self.node(item, part, depth)

    def envelope(self, value: dict[str, Any]) -> None:
        declared = value["category"]
        own = Part(feature=value.get("feature"), purpose=value.get("purpose"), items=1)
        self.node(value.get("payload"), own)
        kind = taxonomy().categories[declared].payload
        if not any(taxonomy().categories[c].payload == kind for c in own.categories):
            own.categories.add(declared)
        self.envelopes.append(own)

    def image(self, data: bytes, part: Part, declared: str | None) -> None:
        media = {c for c, k in taxonomy().categories.items() if k.payload == "media"}
        part.categories.add(declared if declared in media else self.t.image_category)
        part.images += 1
        part.gps_in_media = part.gps_in_media or image_has_gps(data)


def _leaves(value: Any) -> str:
    """Every key and scalar of a parsed JSON value, one per line, without recursion (for
    bodies nested deeper than the walker goes)."""
    out, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.extend(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            out.append(str(item))
    return "\n".join(out)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _multipart(content_type: str, body: bytes) -> list[tuple[str | None, str, bytes]]:
    """``(field name, content type, bytes)`` of each part of a multipart body."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=compat32).parsebytes(head + body)  # the fast policy
    if not message.is_multipart():
        return []
    out = []
    for piece in message.get_payload():
        name = piece.get_param("name", header="content-disposition")
        out.append((name, piece.get_content_type(), piece.get_payload(decode=True) or b""))
    return out


def _group(walker: _Walker, loose: Part) -> Detection:
    """Envelopes of the same declared (feature, purpose) make one part; what was sent
    outside any envelope is a part of its own."""
    merged: dict[tuple[str | None, str | None], Part] = {}
    for part in walker.envelopes:
        key = (part.feature, part.purpose)
        if key in merged:
            merged[key].merge(part)
        else:
            merged[key] = part
    parts = [p for p in merged.values() if p.categories]
    if loose.categories:
        loose.items = max(loose.items, loose.contacts, loose.images, 1)
        parts.insert(0, loose)
    for part in parts:
        part.items = max(part.items, part.contacts, part.images, 1)
    return Detection(parts)


def detect_value(value: Any, known: Mapping[str, Known] | None = None) -> Detection:
    """The personal data in an already parsed value (a JSON document, a dict of fields)."""
    walker = _Walker(known or {})
    loose = Part()
    walker.node(value, loose)
    return _group(walker, loose)


def detect_request(
    method: str,
    url: str,
    content_type: str | None,
    body: bytes,
    known: Mapping[str, Known] | None = None,
) -> Detection:
    """The personal data a request carries, in its URL (path and query) and its body."""
    walker = _Walker(known or {})
    loose = Part()
    split = urlsplit(url)
    query = dict(parse_qsl(split.query, keep_blank_values=False))
    if query:
        walker.mapping(query, loose, 0)
    walker.text(unquote(split.path), loose)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if body:
        if ctype.startswith("multipart/"):
            fields: dict[str, Any] = {}
            files = []
            for name, kind, data in _multipart(content_type or "", body):
                if kind.startswith("text/") or kind == "application/x-www-form-urlencoded":
                    fields[name or ""] = data.decode("utf-8", "replace")
                else:
                    files.append((name, data))
            declared = fields.get("category")
            target = loose
            if declared in taxonomy().categories and ("purpose" in fields or "feature" in fields):
                target = Part(feature=fields.get("feature"), purpose=fields.get("purpose"))
                walker.envelopes.append(target)
            rest = {k: v for k, v in fields.items() if k not in ("category", "purpose", "feature")}
            walker.mapping(rest, target, 0)
            for _name, data in files:
                if _is_image(data):
                    walker.image(data, target, declared)
                else:
                    walker.text(data.decode("utf-8", "replace"), target)
        elif ctype == "application/x-www-form-urlencoded":
            walker.mapping(dict(parse_qsl(body.decode("utf-8", "replace"))), loose, 0)
        elif _is_image(body):
            walker.image(body, loose, None)
        else:
            text = body.decode("utf-8", "replace")
            try:
                walker.node(json.loads(text), loose)
            except RecursionError:
                walker.text(text, loose, parse=False)
            except ValueError:
                walker.text(text, loose)
    return _group(walker, loose)


# values in text, however they were written ------------------------------------------------

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\\/\"bfnrt])")


def _json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 16))
        return {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}.get(
            match.group(2), match.group(2)
        )

    return _JSON_ESCAPE.sub(one, text)


def _readings(text: str) -> list[str]:
    """The text as written and as decoded every way a server writes a value into a log
    (percent-encoding, once or twice; JSON and HTML escapes)."""
    out = [text]
    for decode in (
        unquote_plus,
        lambda s: unquote_plus(unquote_plus(s)),
        _json_unescape,
        html.unescape,
    ):
        try:
            decoded = decode(text)
        except (ValueError, UnicodeDecodeError):
            continue
        if decoded not in out:
            out.append(decoded)
    joined = _json_unescape(unquote_plus(text))
    if joined not in out:
        out.append(joined)
    return out


def encodings(value: str) -> set[str]:
    """The ways ``value`` may appear in text: as is, percent-encoded, JSON-escaped,
    HTML-escaped, base64."""
    raw = value.encode("utf-8")
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return {f for f in forms if f}


def find_values(text: str, values: Iterable[str]) -> list[str]:
    """Which of ``values`` appear in ``text``, written in any of their encodings or in a
    decoding of the text (case-insensitive)."""
    readings = [r.lower() for r in _readings(text)]
    found = []
    for value in values:
        if not value:
            continue
        forms = [f.lower() for f in encodings(value)]
        if any(f in r for r in readings for f in forms):
            found.append(value)
    return found


def scan_text(text: str) -> set[str]:
    """Categories whose value patterns (phone numbers, e-mail addresses, identity
    numbers, coordinates under their keys) appear in free text such as a log line."""
    t = _table()
    found: set[str] = set()
    for reading in _readings(text):
        for category, pattern, check in t.values:
            for match in pattern.finditer(reading):
                if not check or CHECKS[check](match.group(0)):
                    found.add(category)
        pairs = dict(
            (_norm_key(k), v)
            for k, v in re.findall(r"([A-Za-z_]+)[\"']?\s*[=:]\s*[\"']?(-?\d+\.\d+)", reading)
        )
        lat = next((pairs[k] for k in pairs if k in t.lat), None)
        lon = next((pairs[k] for k in pairs if k in t.lon), None)
        if lat is not None and lon is not None:
            found.add(location_category(float(lat), float(lon)))
    return found
