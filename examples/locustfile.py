"""consentkit's simulated fleet as a Locust test: the devices of ``consentkit simulate``,
spread over Locust workers, against a running server (docs/performance.md shows a run)."""

from consentkit.simulator.locust import SimulatedDevice

__all__ = ["SimulatedDevice"]
