"""Photo metadata on the device: find GPS in EXIF, and take it out before upload."""

from __future__ import annotations

import io

from PIL import ExifTags, Image, UnidentifiedImageError

__all__ = ["gps_of", "jpeg_with_gps", "strip_gps"]


def _dms_to_degrees(dms: tuple, ref: str) -> float:
    degrees = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
    return -degrees if ref in ("S", "W") else degrees


def gps_of(jpeg: bytes) -> tuple[float, float] | None:
    """The position a photo carries in EXIF, if any."""
    try:
        gps = Image.open(io.BytesIO(jpeg)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except (UnidentifiedImageError, OSError):
        return None
    if ExifTags.GPS.GPSLatitude not in gps or ExifTags.GPS.GPSLongitude not in gps:
        return None
    return (
        _dms_to_degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N")),
        _dms_to_degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E")),
    )


def strip_gps(jpeg: bytes) -> bytes:
    """The same photo without its GPS block; other EXIF (orientation, make) is kept."""
    image = Image.open(io.BytesIO(jpeg))
    exif = image.getexif()
    if ExifTags.IFD.GPSInfo not in exif:
        return jpeg
    del exif[ExifTags.IFD.GPSInfo]
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def _to_dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


def jpeg_with_gps(
    lat: float | None,
    lon: float | None,
    *,
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (180, 120, 60),
    make: str = "consentkit virtual camera",
) -> bytes:
    """A real JPEG as a phone camera writes it: EXIF make, and GPS when a fix is known."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Orientation] = 1
    if lat is not None and lon is not None:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _to_dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _to_dms(lon),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()
