"""The published policy: what the app shows and what the server enforces."""

from __future__ import annotations

from marshmallow import Schema, fields

from .. import db
from ..services import policies
from .edge import Blueprint

blp = Blueprint("policy", __name__, description="Published policy manifests, by version")


class PolicySchema(Schema):
    app_id = fields.String()
    version = fields.String()
    effective = fields.String()
    change = fields.String()
    published_at = fields.DateTime()
    manifest = fields.Dict()


class VersionSchema(Schema):
    version = fields.String()
    effective = fields.String()
    change = fields.String()
    published_at = fields.DateTime()


def _body(row) -> dict:
    return {
        "app_id": row.app_id,
        "version": row.version,
        "effective": row.effective,
        "change": row.change,
        "published_at": row.published_at,
        "manifest": row.document,
    }


@blp.route("/apps/<app_id>/policy")
@blp.response(200, PolicySchema)
def current_policy(app_id: str):
    """The policy in force: the manifest as JSON, its version and effective date."""
    return _body(policies.current_row(db.session(), app_id))


@blp.route("/apps/<app_id>/policy/versions")
@blp.response(200, VersionSchema(many=True))
def list_versions(app_id: str):
    """Every published version, oldest first."""
    policies.in_force(db.session(), app_id)  # 404 for an unknown app
    return policies.versions(db.session(), app_id)


@blp.route("/apps/<app_id>/policy/versions/<version>")
@blp.response(200, PolicySchema)
def one_version(app_id: str, version: str):
    """One published version, as it was enforced."""
    return _body(policies.version_row(db.session(), app_id, version))
