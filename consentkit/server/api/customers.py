"""Customers: positioning and navigation, address-book import, quick calls, QR codes."""

from __future__ import annotations

from flask import Response, current_app, request
from geopy.distance import geodesic
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from .. import db
from ..limits import limited
from ..models import CallRecord, Customer
from ..openapi import file_response
from ..problems import Problem
from ..services import business, geo, phones, policies, qr
from .common import AUTH, current_user
from .edge import Blueprint, Identifier, Text

blp = Blueprint("customers", __name__, description="Customers of the organization")

LOCATION_CATEGORIES = ("user.location.precise", "user.location.coarse")
CALL_RECORD = "user.calls.log"


class LocationIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, validate=validate.Range(0, 100_000))
    collected_at = fields.AwareDateTime(required=True)


class CustomerIn(Schema):
    app_id = Identifier(required=True)
    name = Text(required=True, min_length=1, max_length=200)
    phone = Text(load_default=None, max_length=32)
    location = fields.Nested(LocationIn, load_default=None)


class CustomerPatch(Schema):
    name = Text(min_length=1, max_length=200)
    phone = Text(max_length=32, allow_none=True)


class PickedContact(Schema):
    """What the device may send of a picked contact: a name and a phone — nothing else."""

    name = Text(required=True, min_length=1, max_length=200)
    phone = Text(required=True, max_length=32)


class ImportIn(Schema):
    app_id = Identifier(required=True)
    contacts = fields.List(
        fields.Nested(PickedContact), required=True, validate=validate.Length(min=1, max=1000)
    )

    @validates("contacts")
    def _cap(self, value: list, **_: object) -> None:
        cap = current_app.config["IMPORT_MAX_CONTACTS"]
        if len(value) > cap:
            raise ValidationError(f"At most {cap} contacts per import: pick, don't copy the book.")


class CallIn(Schema):
    app_id = Identifier(required=True)


class Here(Schema):
    """Where the user stands: sent in the body, never in a URL (URLs end up in logs)."""

    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class NearbyRequest(Here):
    radius_km = fields.Float(load_default=10, validate=validate.Range(0.01, 500))


class CustomerOut(Schema):
    id = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    source = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    city = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    distance_km = fields.Float()
    bearing_deg = fields.Float()
    created_at = fields.DateTime()


class ImportOut(Schema):
    created = fields.List(fields.Nested(CustomerOut))


class CallOut(Schema):
    id = fields.Integer()
    customer_id = fields.String()
    started_at = fields.DateTime()


@blp.before_request
def _no_coordinates_in_urls():
    """A position in a query string would be written to every access log on its way:
    refuse it, and say where it goes instead (the access log keeps no query)."""
    if {"lat", "lon"} & set(request.args):
        raise Problem(
            422,
            "coordinates_in_url",
            "Send positions in the request body: POST /api/v1/customers/nearby, "
            "POST /api/v1/customers/{id}/navigation.",
        )


def _context():
    user = current_user()
    s = db.session()
    return user, s, business.membership(s, user)


def _location(s, user, app_id: str, location: dict, customer: Customer) -> None:
    """A location comes from the device under a live positioning consent, or not at all."""
    event = None
    for category in LOCATION_CATEGORIES:
        try:
            event = business.consent_for(s, user, app_id, category, "add_customer")
            break
        except Problem as refused:
            last = refused
    if event is None:
        raise last
    customer.lat, customer.lon = location["lat"], location["lon"]
    customer.location_consent_id = event.id
    place = geo.place_of(location["lat"], location["lon"])
    if place is not None:
        customer.city, customer.region = place.city, place.region


def _view(c: Customer, here: dict | None = None) -> dict:
    out = {
        k: getattr(c, k)
        for k in ("id", "name", "phone", "source", "lat", "lon", "city", "region", "created_at")
    }
    if here and c.lat is not None and "lat" in here and "lon" in here:
        out.update(geo.navigation((here["lat"], here["lon"]), (c.lat, c.lon)))
    return out


@blp.route("/customers", methods=["POST"])
@blp.arguments(CustomerIn)
@blp.response(201, CustomerOut)
@blp.doc(security=AUTH)
def create(body: dict):
    """Add a customer; a location is accepted only under a live positioning consent, and
    is placed offline in its city and region."""
    user, s, member = _context()
    policies.in_force(s, body["app_id"])  # 404 for an unknown app
    customer = Customer(
        org_id=member.org_id,
        created_by=user.id,
        name=body["name"],
        phone=phones.normalise(body["phone"]) if body["phone"] else None,
    )
    if body["location"]:
        _location(s, user, body["app_id"], body["location"], customer)
    s.add(customer)
    s.commit()
    return _view(customer)


@blp.route("/customers", methods=["GET"])
@blp.response(200, CustomerOut(many=True))
@blp.doc(security=AUTH)
def list_customers():
    """The organization's customers (distances: POST /customers/nearby)."""
    _, s, member = _context()
    rows = s.scalars(
        select(Customer)
        .where(Customer.org_id == member.org_id)
        .order_by(Customer.created_at)
        .limit(1000)
    )
    return [_view(c) for c in rows]


@blp.route("/customers/nearby", methods=["POST"])
@limited("HEAVY_LIMIT_PER_USER")
@blp.arguments(NearbyRequest)
@blp.response(200, CustomerOut(many=True))
@blp.doc(security=AUTH)
def nearby(query: dict):
    """Customers within a radius of your position, nearest first (geodesic distance),
    with distance and initial bearing. The position is in the body, so it stays out of
    URLs and logs, and it is never stored."""
    _, s, member = _context()
    here = (query["lat"], query["lon"])
    box = query["radius_km"] / 111 + 0.01  # a degree of latitude is ~111 km: a cheap prefilter
    rows = s.scalars(
        select(Customer).where(
            Customer.org_id == member.org_id,
            Customer.lat.is_not(None),
            Customer.lat.between(here[0] - box, here[0] + box),
        )
    )
    found = []
    for c in rows:
        km = geodesic(here, (c.lat, c.lon)).km
        if km <= query["radius_km"]:
            found.append((km, c))
    return [
        _view(c, {"lat": here[0], "lon": here[1]}) for _, c in sorted(found, key=lambda t: t[0])
    ]


@blp.route("/customers/<customer_id>")
@blp.response(200, CustomerOut)
@blp.doc(security=AUTH)
def read(customer_id: str):
    """One customer of your organization."""
    _, s, member = _context()
    return _view(business.owned(s, Customer, customer_id, member.org_id))


@blp.route("/customers/<customer_id>/navigation", methods=["POST"])
@blp.arguments(Here)
@blp.response(200, CustomerOut)
@blp.doc(security=AUTH)
def navigate(here: dict, customer_id: str):
    """One customer, with the distance and initial bearing from your position (in the
    body): computed for the answer, never stored, never in a URL."""
    _, s, member = _context()
    return _view(business.owned(s, Customer, customer_id, member.org_id), here)


@blp.route("/customers/<customer_id>", methods=["PATCH"])
@blp.arguments(CustomerPatch)
@blp.response(200, CustomerOut)
@blp.doc(security=AUTH)
def update(body: dict, customer_id: str):
    """Change a customer's name or phone."""
    _, s, member = _context()
    customer = business.owned(s, Customer, customer_id, member.org_id)
    if "name" in body:
        customer.name = body["name"]
    if "phone" in body:
        customer.phone = phones.normalise(body["phone"]) if body["phone"] else None
    s.commit()
    return _view(customer)


@blp.route("/customers/<customer_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=AUTH)
def remove(customer_id: str):
    """Delete a customer."""
    _, s, member = _context()
    s.delete(business.owned(s, Customer, customer_id, member.org_id))
    s.commit()


@blp.route("/customers/import", methods=["POST"])
@limited("HEAVY_LIMIT_PER_USER")
@blp.arguments(ImportIn)
@blp.response(201, ImportOut)
@blp.doc(security=AUTH)
def import_contacts(body: dict):
    """Create customers from the contacts the user picked: a name and a phone each, under
    a live consent for the import; the address book itself is never accepted."""
    user, s, member = _context()
    event = business.consent_for(s, user, body["app_id"], "user.contacts.entry", "import_contacts")
    created = []
    for contact in body["contacts"]:
        customer = Customer(
            org_id=member.org_id,
            created_by=user.id,
            name=contact["name"],
            phone=phones.normalise(contact["phone"]),
            source="contacts_import",
            contact_consent_id=event.id,
        )
        s.add(customer)
        created.append(customer)
    s.commit()
    return {"created": [_view(c) for c in created]}


@blp.route("/customers/<customer_id>/calls", methods=["POST"])
@blp.arguments(CallIn)
@blp.response(201, CallOut)
@blp.doc(security=AUTH)
def record_call(body: dict, customer_id: str):
    """Record that you started a call to this customer (the app's quick call). A call
    record is call information (``user.calls.log``): kept only where the policy declares it
    for the calling feature and under a live consent, never where it promises not to store
    it. The call's content and the phone's call history are not accepted."""
    user, s, member = _context()
    customer = business.owned(s, Customer, customer_id, member.org_id)
    manifest = policies.current(s, body["app_id"])
    calling = manifest.features_requesting("phone.call")
    if not calling:
        raise Problem(422, "undeclared_feature", f"{manifest.id} declares no calling feature")
    if CALL_RECORD in manifest.never_collected:
        raise Problem(
            403,
            "never_collected",
            f"{manifest.id} promises not to obtain or store call information; nothing was kept",
        )
    business.consent_for(s, user, manifest.id, CALL_RECORD, calling[0])
    call = CallRecord(org_id=member.org_id, customer_id=customer.id, user_id=user.id)
    s.add(call)
    s.commit()
    return {"id": call.id, "customer_id": customer.id, "started_at": call.started_at}


@blp.route("/customers/<customer_id>/qr.<fmt>")
@limited("HEAVY_LIMIT_PER_USER")
@blp.doc(security=AUTH, responses=file_response("PNG or SVG", "image/png", "image/svg+xml"))
def customer_qr(customer_id: str, fmt: str):
    """The customer's QR code: a signed, random token — no id, no personal data."""
    _, s, member = _context()
    business.owned(s, Customer, customer_id, member.org_id)
    return qr_response(s, member.org_id, "customer", customer_id, fmt)


def qr_response(s, org_id: str, kind: str, object_id: str, fmt: str) -> Response:
    if fmt not in ("png", "svg"):
        raise Problem(404, "not_found", "QR codes come as .png or .svg")
    token = qr.token_for(s, org_id, kind, object_id)
    s.commit()
    if fmt == "png":
        return Response(qr.png(token), mimetype="image/png")
    return Response(qr.svg(token), mimetype="image/svg+xml")
