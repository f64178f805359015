"""Reports of a run: JSON for machines, one self-contained HTML page for people, and the
JUnit and SARIF files CI systems and code-scanning UIs read."""

from .build import build
from .html import render_html
from .junit import to_junit
from .sarif import to_sarif

__all__ = ["build", "render_html", "to_junit", "to_sarif"]
