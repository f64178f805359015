"""The shared policy model: the taxonomy and the manifest, used by all three parts."""

from .loader import ManifestInvalid, Problem, load_manifest, manifest_from_dict, parse_manifest
from .manifest import Manifest
from .taxonomy import taxonomy

__all__ = [
    "Manifest",
    "ManifestInvalid",
    "Problem",
    "load_manifest",
    "manifest_from_dict",
    "parse_manifest",
    "taxonomy",
]
