"""What every view needs: the current user, and one commit that either fully happens or not."""

from __future__ import annotations

from flask_jwt_extended import get_current_user, verify_jwt_in_request
from marshmallow import ValidationError, fields

from ..models import User

AUTH = [{"bearerAuth": []}]


def current_user(optional: bool = False) -> User | None:
    """The logged-in user; with ``optional`` an anonymous caller gets None."""
    verify_jwt_in_request(optional=optional)  # checks the session and loads its user
    return get_current_user()


class StrictBool(fields.Boolean):
    """A consent is ``true`` or ``false`` — never ``"yes"``, ``1`` or ``"on"``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value
