"""Reports of a run: JSON for machines, one self-contained HTML page for people."""

from .build import build
from .html import render_html

__all__ = ["build", "render_html"]
