"""The JSON API under ``/api/v1``: one blueprint per resource."""

from __future__ import annotations

from flask import Flask

from ..extensions import RowId, Segment, api
from . import (
    admin,
    auth,
    collect,
    consents,
    customers,
    dev,
    devices,
    guardian,
    me,
    media,
    orders,
    orgs,
    policy,
    products,
    qr,
)

PREFIX = "/api/v1"


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["row_id"] = RowId
    app.url_map.converters["default"] = app.url_map.converters["string"] = Segment
    for module in (
        policy,
        auth,
        consents,
        guardian,
        devices,
        collect,
        media,
        me,
        admin,
        orgs,
        customers,
        products,
        orders,
        qr,
        dev,
    ):
        api.register_blueprint(module.blp, url_prefix=PREFIX)
