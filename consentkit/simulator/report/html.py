"""The HTML report: one file, no external assets, readable offline and in CI artifacts."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

__all__ = ["anchor", "render_html"]


def anchor(*parts: Any) -> str:
    """An element id from names that may hold any character (``ev-zhenyi-erp-00001-12``)."""
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]", "_", str(p)) for p in parts)


def render_html(report: dict[str, Any]) -> str:
    env = Environment(
        autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True
    )
    env.globals["anchor"] = anchor
    text = resources.files("consentkit.simulator").joinpath("report/template.html").read_text()
    return env.from_string(text).render(**report)
