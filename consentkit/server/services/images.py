"""Uploaded images: proven to be images, bounded, upright, and stripped of metadata.

Pillow decodes every upload fully (a truncated or disguised file fails here), the pixel
count is checked before decoding (decompression bombs), EXIF orientation is applied,
and the stored file carries no metadata — GPS only where the policy and a live consent
allow it.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ..problems import Problem

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
THUMB_SIZE = (256, 256)


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    thumbnail: bytes
    mime: str
    width: int
    height: int
    sha256: str
    gps_kept: bool
    gps_found: bool


def _bad(detail: str, code: str = "invalid_image", status: int = 422) -> Problem:
    return Problem(status, code, detail)


def process(
    raw: bytes, declared_mime: str, *, keep_gps: bool, max_bytes: int, max_pixels: int
) -> ProcessedImage:
    if len(raw) > max_bytes:
        raise _bad(f"the file is larger than {max_bytes} bytes", "payload_too_large", 413)
    try:
        probe = Image.open(io.BytesIO(raw))
        fmt = probe.format
        width, height = probe.size
    except Image.DecompressionBombError:
        raise _bad(f"the image has more than the {max_pixels} pixels allowed") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise _bad("the file is not an image of an allowed format (JPEG, PNG, WebP)") from None
    if fmt not in FORMATS:
        raise _bad(f"{fmt} images are not accepted; use JPEG, PNG or WebP")
    if FORMATS[fmt] != declared_mime:
        raise _bad(
            f"the file is {FORMATS[fmt]} but was sent as {declared_mime}",
            "unsupported_media_type",
            415,
        )
    if width * height > max_pixels:
        raise _bad(f"{width}x{height} pixels is more than the {max_pixels} allowed")
    try:
        image = Image.open(io.BytesIO(raw))
        exif = image.getexif()
        gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) if exif else {}
        image.load()  # decodes fully: truncated files fail here
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise _bad("the image is damaged or truncated") from None
    clean = Image.Exif()
    if keep_gps and gps:
        clean[ExifTags.IFD.GPSInfo] = gps
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, exif=clean)
    else:
        image.save(out, fmt, exif=clean) if keep_gps and gps else image.save(out, fmt)
    thumb = image.copy()
    thumb.thumbnail(THUMB_SIZE)
    thumb_out = io.BytesIO()
    thumb.convert("RGB").save(thumb_out, "JPEG", quality=80)
    data = out.getvalue()
    return ProcessedImage(
        data,
        thumb_out.getvalue(),
        FORMATS[fmt],
        image.width,
        image.height,
        hashlib.sha256(data).hexdigest(),
        bool(keep_gps and gps),
        bool(gps),
    )
