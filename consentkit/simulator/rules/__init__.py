"""The rule engine: the catalogue of DESIGN.md, run over traces and manifests."""

from .engine import Finding, Rule, audit, catalogue, not_judgeable, places_of

__all__ = ["Finding", "Rule", "audit", "catalogue", "not_judgeable", "places_of"]
