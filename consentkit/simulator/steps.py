"""What each scenario step does to a device (the steps ``scenario.py`` accepts)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ..policy.durations import parse_duration
from .app import App, AppContext
from .host import Host

__all__ = ["PASSWORD", "START", "Steps", "seconds", "years_before"]

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China, a Monday
PASSWORD = "correct horse battery"


def years_before(day: date, years: int) -> date:
    """The birth date of someone who turns ``years`` old on ``day``; 29 February maps to
    the 28th in a year without one (that person is ``years`` old on the 29th too)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Steps:
    """What each scenario step does to the device: one method per step of ``STEPS``."""

    def __init__(self, app: App, ctx: AppContext, host: Host, phone_number: str) -> None:
        self.app, self.ctx, self.host, self.phone_number = app, ctx, host, phone_number

    def launch(self, _arg: None) -> None:
        self.ctx.phone.launch_app()
        self.app.launch(self.ctx)

    def restart(self, _arg: None) -> None:
        self.ctx.phone.exit_app("user")
        self.launch(None)

    def register(self, _arg: None) -> None:
        sdk = self.ctx.sdk
        if not sdk.consents.agreed:
            return  # a user who declined the policy does not sign up
        sdk.client.send_code(self.phone_number)
        code = sdk.client.dev_outbox(self.phone_number)[0]["body"].split("code is ")[1][:6]
        persona = self.ctx.phone.persona
        birth = None
        if persona.minor_age:
            birth = years_before(self.ctx.phone.now().date(), persona.minor_age).isoformat()
        sdk.register(self.phone_number, code, PASSWORD, birth_date=birth)
        if sdk.consents.needs_guardian:
            sdk.consents.run_guardian_flow()

    def logout(self, _arg: None) -> None:
        if self.ctx.sdk.client.tokens:
            self.ctx.sdk.logout()

    def login(self, _arg: None) -> None:
        if self.ctx.sdk.store.get("user") and not self.ctx.sdk.client.tokens:
            self.ctx.sdk.login(self.phone_number, password=PASSWORD)

    def use(self, feature: str) -> None:
        if self.ctx.sdk.consents.agreed:
            self.app.use(self.ctx, feature)

    def use_all(self, _arg: None) -> None:
        for feature in self.ctx.manifest.features:
            self.use(feature)

    def advance(self, duration: str) -> None:
        self.host.advance(seconds(duration))

    def settings(self, arg: dict) -> None:
        self.ctx.phone.change_setting(arg["permission"], arg["status"])

    def revoke(self, _arg: None) -> None:
        phone = self.ctx.phone
        if not phone.persona.revokes:
            return
        granted = [
            p
            for p in self.ctx.manifest.permissions
            if phone.os.true_status(p) in ("granted", "limited")
            and phone.rules.availability(p) == "runtime"
        ]
        if granted:
            phone.change_setting(phone.rng.choice(sorted(granted)), "denied")

    def withdraw(self, purposes: list[str]) -> None:
        if self.ctx.sdk.consents.agreed:
            self.ctx.sdk.withdraw(purposes)
            self._probe("withdrawal", purposes)

    def withdraw_optional(self, _arg: None) -> None:
        consents = self.ctx.sdk.consents
        granted = [p for p in self.ctx.manifest.optional_purposes() if consents.consented(p)]
        if granted:
            self.withdraw([self.ctx.rng.choice(granted)])

    def _probe(self, after: str, purposes: list[str] = ()) -> None:
        """What the server still holds of the user after a withdrawal or the purge."""
        user = (self.ctx.sdk.store.get("user") or {}).get("id")
        held = self.host.holdings(user) if user else None
        if held is None:
            return
        extra = {"purposes": list(purposes)} if purposes else {}
        self.ctx.sdk.tracer.emit(
            "server.residue",
            source="server",
            user=user,
            after=after,
            categories=sorted({h["category"] for h in held}),
            items=held,
            **extra,
        )

    def grant(self, purposes: list[str]) -> None:
        if self.ctx.sdk.consents.agreed:
            self.ctx.sdk.grant(purposes)

    def publish_policy(self, change: str) -> None:
        version = self.host.publish_version(self.ctx.manifest, change)
        self.ctx.sdk.tracer.emit(
            "policy.published", source="server", version=version, change=change
        )

    def update_app(self, version: str) -> None:
        self.ctx.phone.update_app(version)

    def flush(self, _arg: None) -> None:
        self.ctx.sdk.flush()

    def export(self, _arg: None) -> None:
        if self.ctx.sdk.client.tokens:
            self.ctx.sdk.export_data()

    def cancel_account(self, _arg: None) -> None:
        if self.ctx.sdk.client.tokens:
            self.app.cancel_account(self.ctx, PASSWORD)

    def wait_deadline(self, _arg: None) -> None:
        """Day by day until the promised date: the server's jobs run, the device checks."""
        sdk = self.ctx.sdk
        status = sdk.cancellation_status()
        if status is None:
            return
        due = datetime.fromisoformat(status["due_at"])
        while status["status"] != "done" and self.ctx.phone.now() <= due:
            self.host.run_jobs()
            status = sdk.cancellation_status()
            if status["status"] != "done":
                self.host.advance(86400)
        self._probe("purge")


def seconds(duration: str) -> float:
    """An ISO-8601 duration in seconds (months and years counted from ``START``)."""
    value = parse_duration(duration, words=False)
    return ((START + value) - START).total_seconds()
