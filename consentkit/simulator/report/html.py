"""The HTML report: one file, no external assets, readable offline and in CI artifacts."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape


def render_html(report: dict[str, Any]) -> str:
    env = Environment(
        autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True
    )
    text = resources.files("consentkit.simulator").joinpath("report/template.html").read_text()
    return env.from_string(text).render(**report)
