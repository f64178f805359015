"""Consent-aware collectors, one per kind of personal data.

Each asks the gate first, reads through the ``Platform`` only when allowed, takes out
what the purpose does not need, and queues what may leave the device.
"""

from .album import AlbumCollector
from .apps import AppListCollector
from .base import Outcome
from .calls import CallsCollector
from .camera import CameraCollector
from .clipboard import ClipboardCollector
from .contacts import ContactsCollector
from .identifiers import IdentifierCollector
from .location import LocationCollector

__all__ = [
    "AlbumCollector",
    "AppListCollector",
    "CallsCollector",
    "CameraCollector",
    "ClipboardCollector",
    "ContactsCollector",
    "IdentifierCollector",
    "LocationCollector",
    "Outcome",
]
