"""Reading an app's files: the error every reader raises, and the bytes themselves."""

from __future__ import annotations

from pathlib import Path

from ..located import LocatedError, Problem

__all__ = ["MAX_BYTES", "AppFileInvalid", "read_bytes"]

MAX_BYTES = 8 * 1024 * 1024  # an app's manifest or property list is a few kilobytes


class AppFileInvalid(LocatedError):
    """An app file that cannot be read or is not what it claims to be."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        super().__init__([Problem(source, "", message, line)])

    def __str__(self) -> str:
        problem = self.problems[0]
        where = f"{problem.source}:{problem.line}" if problem.line else problem.source
        return f"{where}: {problem.message}"


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes, or AppFileInvalid saying why they cannot be had."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise AppFileInvalid(str(path), f"larger than {MAX_BYTES // (1024 * 1024)} MB")
        return path.read_bytes()
    except OSError as exc:
        raise AppFileInvalid(str(path), f"cannot read the file: {exc.strerror or exc}") from None
