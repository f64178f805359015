"""Photos and other images: uploaded as files, checked, cleaned, stored by content."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest.fields import Upload
from marshmallow import Schema, fields
from sqlalchemy import select

from ...policy import taxonomy
from .. import db
from ..db import utcnow
from ..limits import limited
from ..models import CollectedItem, Membership, Product
from ..openapi import file_response
from ..problems import Problem
from ..services import collection, images, ledger, policies, storage
from .common import AUTH, current_user
from .edge import Blueprint, CategoryKey, Identifier

blp = Blueprint("media", __name__, description="Image uploads under consent")

# What an upload is stored as (and served back as).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")

CONSENT_CODES = {
    "consent_required",
    "consent_outdated",
    "guardian_required",
    "sensitive_consent_required",
}


@blp.before_request
def _allow_larger_bodies() -> None:
    """Images may be larger than a JSON body; the limit is the media limit."""
    request.max_content_length = current_app.config["MEDIA_MAX_BYTES"] + 64 * 1024


class MediaForm(Schema):
    app_id = Identifier(required=True)
    category = CategoryKey(required=True)
    purpose = Identifier(required=True)
    feature = Identifier(required=True)
    collected_at = fields.AwareDateTime(required=True)


class MediaUpload(MediaForm):
    """The multipart body as a client sends it: the form fields and the image."""

    file = Upload(required=True, metadata={"description": "The image: JPEG, PNG or WebP."})


class MediaAnswer(Schema):
    id = fields.Integer()
    category = fields.String()
    sha256 = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    mime = fields.String()
    gps_kept = fields.Boolean()
    gps_removed = fields.Boolean()


def _location_allowed(manifest, consents, purpose: str) -> bool:
    """GPS may stay only if the policy declares location for this purpose and it is live."""
    declared = any(
        purpose in manifest.purposes_declaring(c)
        for c in ("user.location.precise", "user.location.coarse")
    )
    return declared and consents.live(purpose).ok


def _check(manifest, consents, form: dict) -> collection.Use:
    try:
        return collection.check_use(
            manifest,
            consents,
            form["category"],
            form["purpose"],
            form["feature"],
            form["collected_at"],
            utcnow(),
        )
    except collection.Refused as refused:
        raise Problem(
            403 if refused.code in CONSENT_CODES else 422, refused.code, refused.detail
        ) from None


def decode_budget() -> images.DecodeBudget:
    """This process's budget of pixels decoded at once (made in the process that uses it,
    so that every gunicorn worker has its own)."""
    app = current_app
    budget = app.extensions.get("consentkit.decode_budget")
    if budget is None:
        images.return_large_buffers()
        pixels = app.config["MEDIA_DECODE_BUDGET_PIXELS"] or app.config["MEDIA_MAX_PIXELS"]
        budget = app.extensions.setdefault(
            "consentkit.decode_budget", images.DecodeBudget(int(pixels))
        )
    return budget


def _process(upload_file, keep_gps: bool) -> images.ProcessedImage:
    cfg = current_app.config
    upload_file.stream.seek(0)
    return images.process(
        upload_file.read(),
        upload_file.mimetype or "",
        keep_gps=keep_gps,
        max_bytes=cfg["MEDIA_MAX_BYTES"],
        max_pixels=cfg["MEDIA_MAX_PIXELS"],
        budget=decode_budget(),
        wait=cfg["MEDIA_DECODE_WAIT_SECONDS"],
    )


@blp.route("/media", methods=["POST"])
@limited("MEDIA_LIMIT_PER_USER")
@blp.arguments(MediaForm, location="form", content_type="multipart/form-data")
@blp.response(201, MediaAnswer)
@blp.doc(
    security=AUTH,
    requestBody={
        "required": True,
        "content": {"multipart/form-data": {"schema": MediaUpload}},
    },
)
def upload(form: dict):
    """Upload one image (multipart field ``file``) for a declared, consented use."""
    user = current_user()
    s = db.session()
    manifest = policies.current(s, form["app_id"])
    if taxonomy().categories.get(form["category"]) is None or (
        taxonomy().categories[form["category"]].payload != "media"
    ):
        raise Problem(
            422,
            "validation_error",
            "This category is not uploaded as a file.",
            errors={"category": ["Not a media category."]},
        )
    upload_file = request.files.get("file")
    if upload_file is None:
        raise Problem(
            422,
            "validation_error",
            "Send the image as the multipart field 'file'.",
            errors={"file": ["Missing."]},
        )
    # Checked once before the costly decoding, and again under the subject's lock, where
    # no withdrawal can commit before this upload does.
    consents = ledger.state(s, manifest, ledger.Subject(user=user))
    _check(manifest, consents, form)
    keep_gps = _location_allowed(manifest, consents, form["purpose"])
    processed = _process(upload_file, keep_gps)
    consents = ledger.locked_state(s, manifest, ledger.Subject(user=user))
    use = _check(manifest, consents, form)
    if keep_gps and not _location_allowed(manifest, consents, form["purpose"]):
        processed = _process(upload_file, keep_gps=False)
    now = utcnow()
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}[processed.mime]
    # The item's own files, in its owner's folder: nobody else's deletion can reach them.
    address = storage.put(s, processed.data, suffix, user.id)
    thumb = storage.put(s, processed.thumbnail, ".jpg", user.id)
    payload = {
        "file": address,
        "thumbnail": thumb,
        "mime": processed.mime,
        "width": processed.width,
        "height": processed.height,
        "gps_kept": processed.gps_kept,
    }
    item = collection.new_item(manifest, use, {**form}, payload, now)
    item.user_id = user.id
    s.add(item)
    s.commit()
    return {
        "id": item.id,
        "category": item.category,
        "sha256": processed.sha256,
        "width": processed.width,
        "height": processed.height,
        "mime": processed.mime,
        "gps_kept": processed.gps_kept,
        "gps_removed": processed.gps_found and not processed.gps_kept,
    }


class DownloadQuery(Schema):
    thumbnail = fields.Boolean(load_default=False)


def _visible(s, user, item_id: int) -> CollectedItem | None:
    """Your own images, and the photos of your organization's products."""
    item = s.get(CollectedItem, item_id)
    if item is None or not item.payload or "file" not in item.payload:
        return None
    if item.user_id == user.id:
        return item
    member = s.get(Membership, user.id)
    shared = member is not None and s.scalar(
        select(Product.id)
        .where(Product.image_item_id == item.id, Product.org_id == member.org_id)
        .limit(1)
    )
    return item if shared else None


@blp.route("/media/<row_id:item_id>")
@blp.arguments(DownloadQuery, location="query")
@blp.doc(
    security=AUTH,
    responses=file_response("The image (the thumbnail is a JPEG).", *IMAGE_TYPES),
)
def download(query: dict, item_id: int):
    """An image — to its owner, or to the organization whose product shows it; 404 to
    anyone else. ``?thumbnail=true`` for the 256-pixel version."""
    user = current_user()
    item = _visible(db.session(), user, item_id)
    if item is None:
        raise Problem(404, "not_found", "No such media.")
    key = "thumbnail" if query["thumbnail"] else "file"
    data = storage.storage().get(item.payload[key])
    if data is None:
        raise Problem(404, "not_found", "No such media.")
    return Response(data, mimetype="image/jpeg" if query["thumbnail"] else item.payload["mime"])
