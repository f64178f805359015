"""Uploaded images: proven to be images, bounded, upright, and stripped of metadata.

Pillow decodes every upload fully (a truncated or disguised file fails here), the pixel
count is checked before decoding (decompression bombs), EXIF orientation is applied,
and the stored file carries no metadata — GPS only where the policy and a live consent
allow it.

Memory is bounded three ways. A decoded image takes about four bytes a pixel, and up to
twice that while it is turned upright, so the pixel limit (``MEDIA_MAX_PIXELS``, 4096 ×
4096 by default) bounds one decode; the thumbnail is made by reducing the decoded image in
place, never from a second full-size copy; and ``DecodeBudget`` bounds how many pixels a
process decodes at once (``MEDIA_DECODE_BUDGET_PIXELS``, one largest image by default):
further uploads wait their turn, and after ``MEDIA_DECODE_WAIT_SECONDS`` are answered 503
with ``Retry-After``. Freed image buffers go back to the operating system at once
(``return_large_buffers``), so a worker's memory after four decodes is that of one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


# mallopt(3): "M_MMAP_THRESHOLD ... Setting this parameter also disables dynamic
# adjustment"; the constant is from <malloc.h>.
M_MMAP_THRESHOLD = -3
LARGE_BUFFER = 1 << 20


def return_large_buffers() -> bool:
    """Serve buffers of 1 MiB and more from mmap, so that freeing one returns it to the
    operating system (glibc only; elsewhere nothing changes and this says False).

    glibc raises its mmap threshold each time such a buffer is freed; after the first
    decoded image, image buffers come from the thread's own heap arena, which keeps them
    once freed. With four request threads that is four decoded images held for good (a
    worker measured 329 MB after four 16-megapixel uploads, 221 MB with this)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, LARGE_BUFFER))
    except (OSError, AttributeError):
        return False


class DecodeBudget:
    """How many pixels this process may hold decoded at once. A decode reserves its pixel
    count (at most the whole budget) and waits while the rest is taken."""

    def __init__(self, pixels: int) -> None:
        self.pixels = pixels
        self.taken = 0
        self.peak = 0  # the most ever taken at once, for tests and operators
        self._turn = threading.Condition()

    @contextmanager
    def reserve(self, pixels: int, wait: float) -> Iterator[None]:
        need = min(pixels, self.pixels)
        with self._turn:
            if not self._turn.wait_for(lambda: self.taken + need <= self.pixels, timeout=wait):
                raise Problem(
                    503,
                    "busy",
                    "The server is decoding other images; send this one again shortly.",
                    headers={"Retry-After": "5"},
                )
            self.taken += need
            self.peak = max(self.peak, self.taken)
        try:
            yield
        finally:
            with self._turn:
                self.taken -= need
                self._turn.notify_all()


def process(
    raw: bytes,
    declared_mime: str,
    *,
    keep_gps: bool,
    max_bytes: int,
    max_pixels: int,
    budget: DecodeBudget | None = None,
    wait: float = 0,
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
    if budget is None:
        return _decode(raw, fmt, keep_gps)
    with budget.reserve(width * height, wait):
        return _decode(raw, fmt, keep_gps)


def _decode(raw: bytes, fmt: str, keep_gps: bool) -> ProcessedImage:
    """Decode, turn upright, store without metadata, and thumbnail — with one full-size
    image alive at a time (two while it is turned)."""
    try:
        image = Image.open(io.BytesIO(raw))
        exif = image.getexif()
        gps = dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) if exif else {}
        image.load()  # decodes fully: truncated files fail here
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise _bad("the image is damaged or truncated") from None
    clean = Image.Exif()
    if keep_gps and gps:
        clean[ExifTags.IFD.GPSInfo] = gps
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode != "RGB":
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, exif=clean)
    else:
        image.save(out, fmt, exif=clean) if keep_gps and gps else image.save(out, fmt)
    width, height = image.size
    image.thumbnail(THUMB_SIZE)  # in place: reduces, then resamples the small image
    thumb_out = io.BytesIO()
    (image if image.mode == "RGB" else image.convert("RGB")).save(thumb_out, "JPEG", quality=80)
    data = out.getvalue()
    return ProcessedImage(
        data,
        thumb_out.getvalue(),
        FORMATS[fmt],
        width,
        height,
        hashlib.sha256(data).hexdigest(),
        bool(keep_gps and gps),
        bool(gps),
    )
