"""What every collector shares: the outcome type and the SDK parts it works with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..gate import Decision

if TYPE_CHECKING:
    from ..sdk import ConsentKit

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The value collected, or None with the decision that refused it."""

    value: T | None
    decision: Decision

    @property
    def ok(self) -> bool:
        return self.value is not None and self.decision.allowed


class Collector:
    def __init__(self, sdk: ConsentKit) -> None:
        self.sdk = sdk

    def _traced_read(self, api: str, category: str, count: int, **extra: Any) -> None:
        """Trace a read when the phone does not trace it itself (a real app)."""
        if not getattr(self.sdk.platform, "records_trace", False):
            self.sdk.tracer.emit(
                "api.read", api=api, category=category, status="granted", count=count, **extra
            )
