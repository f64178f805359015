"""QR codes that carry nothing but a random, signed token.

The token is ``nonce.signature``: a forged or mistyped one is refused before any lookup,
and the nonce maps to the object server-side, so the code holds no id and no personal
data. Resolving it needs an account in the organization that owns the object.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets

import qrcode
import qrcode.image.svg
from flask import current_app
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import QrToken


def _sign(nonce: str) -> str:
    key = current_app.config["QR_SIGNING_KEY"].encode()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()[:20]


def token_for(db: Session, org_id: str, kind: str, object_id: str) -> str:
    """The object's token (made once, then reused)."""
    row = db.scalar(select(QrToken).where(QrToken.kind == kind, QrToken.object_id == object_id))
    if row is None:
        row = QrToken(
            nonce=secrets.token_urlsafe(18), org_id=org_id, kind=kind, object_id=object_id
        )
        db.add(row)
        db.flush()
    return f"ck1.{row.nonce}.{_sign(row.nonce)}"


def resolve(db: Session, token: str) -> QrToken | None:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "ck1":
        return None
    nonce, signature = parts[1], parts[2]
    if not hmac.compare_digest(_sign(nonce), signature):
        return None
    return db.get(QrToken, nonce)


def png(token: str, box: int = 8) -> bytes:
    """The code as PNG: qrcode builds the module matrix, Pillow scales it up in one step
    (drawing module by module is several times slower)."""
    code = qrcode.QRCode(border=4)
    code.add_data(token)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    image = Image.new("1", (size, size))
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    out = io.BytesIO()
    image.resize((size * box, size * box), Image.Resampling.NEAREST).save(out, "PNG")
    return out.getvalue()


def svg(token: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(token, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return out.getvalue()
