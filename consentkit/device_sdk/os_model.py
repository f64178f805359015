"""What the phone's OS does with permissions — the state machine behind the dialogs.

Driven entirely by ``OsRules`` and the app's ``AppBuild``: the virtual phone of the
simulator and the SDK's test platform run this machine; the SDK itself only sees what
``check`` and ``request`` return, exactly as an app on a real phone does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .os_rules import BACKGROUND, FOREGROUND, OsRules
from .platform import AppBuild

__all__ = [
    "DIALOG_ANSWERS",
    "AnswerFn",
    "AppTerminated",
    "Dialog",
    "OsPermissions",
    "RequestOutcome",
]

DIALOG_ANSWERS = (
    "allow",
    "allow_always",
    "allow_once",
    "allow_coarse",
    "allow_limited",
    "deny",
    "deny_dont_ask",
)
PRECISE, COARSE = FOREGROUND
GRANTED = ("granted", "limited")

# The user at the dialog: given the permissions it covers and the buttons it offers.
AnswerFn = Callable[[tuple[str, ...], tuple[str, ...]], str]


class AppTerminated(RuntimeError):
    """iOS killed the app: it asked for a permission without its usage-description string."""


@dataclass(frozen=True)
class Dialog:
    """A screen the OS shows: the permissions it asks about, its buttons, and its kind —
    ``permission`` (the runtime dialog), ``upgrade`` (to background or precise location),
    ``settings`` (Android 11+ background location), ``selection`` (re-opened photo
    selector) or ``paste`` (iOS 16). ``precise_switch`` is the iOS Precise toggle (the
    ``allow_coarse`` button); ``needless`` says why the app did not need to ask."""

    permissions: tuple[str, ...]
    options: tuple[str, ...]
    kind: str = "permission"
    needless: str = ""

    @property
    def precise_switch(self) -> bool:
        return "allow_coarse" in self.options


@dataclass(frozen=True)
class RequestOutcome:
    """What one request did to one permission, as the phone traces it. ``via``: dialog,
    group (granted with a granted permission of its group), held (already decided),
    ignored (the OS did nothing), settings, foreground (covered by the foreground grant),
    install, undeclared, unavailable, restricted. ``lasts``: always, session (one time,
    or Android 14's temporary selection). ``requested``: False for a permission a grant
    reached through its group."""

    permission: str
    status: str
    seen: str
    via: str
    lasts: str = "always"
    requested: bool = True
    provisional: bool = False


@dataclass
class _State:
    status: str = "not_determined"
    denials: int = 0
    lasts: str = "always"
    provisional: bool = False  # iOS: Always granted for now, to be confirmed by a later prompt


_UNSET = _State()  # a permission never touched (never mutated)


class OsPermissions:
    """One app's permissions on one phone, as the OS keeps them."""

    def __init__(
        self,
        rules: OsRules,
        answer: AnswerFn,
        *,
        build: AppBuild | None = None,
        play_services: bool = True,
        on_dialog: Callable[[Dialog], None] = lambda dialog: None,
        restricted: Iterable[str] = (),
    ) -> None:
        self.rules = rules
        self.answer = answer
        self.build = build or AppBuild()
        self.play_services = play_services
        self.on_dialog = on_dialog
        self.restricted = frozenset(restricted)
        self._states: dict[str, _State] = {}
        # Looked up at every gate decision: kept as plain attributes.
        self._availability = dict(rules.permissions)
        self._implied = dict(rules.implied_by)
        self._check_hides = not rules.check_sees_blocked
        self._background_follows_foreground = rules.background_location == "with_foreground"
        self.last_used: datetime | None = None
        self.outcomes: list[RequestOutcome] = []  # of the latest request

    def _state(self, permission: str) -> _State:
        return self._states.setdefault(permission, _State())

    # what the OS knows, and what it tells the app ---------------------------------------
    def true_status(self, permission: str) -> str:
        """What the OS knows; ``check`` may show the app less."""
        # The hot path of every gate decision: a runtime permission with its own state.
        availability = self._availability.get(permission, "unavailable")
        if availability != "runtime" and availability != "per_use":
            if availability == "unavailable":
                return "unavailable"
            if permission in self.restricted:
                return "restricted"
            if availability == "none_needed" or self.build.declared(permission):
                return "granted"  # none needed, or install-time and declared
            return "denied"
        if permission in self.restricted:
            return "restricted"
        if permission == BACKGROUND and self._background_follows_foreground:
            if any(self.true_status(p) in GRANTED for p in FOREGROUND):
                return "granted"
            return self.true_status(COARSE)
        state = self._states.get(permission)
        implied = self._implied.get(permission)
        if implied and any(self._states.get(p, _UNSET).status in GRANTED for p in implied):
            return "granted"
        return state.status if state is not None else "not_determined"

    def check(self, permission: str) -> str:
        """The status an app can read. Android shows never-asked and blocked as denied,
        and a temporary Android 14 selection as granted."""
        status = self.true_status(permission)
        if status == "limited" and self.rules.selection(permission, self.build) == "temporary":
            return "granted"
        if self._check_hides and (status == "not_determined" or status == "blocked"):
            return "denied"
        return status

    def provisional(self, permission: str) -> bool:
        return self._state(permission).provisional

    def lasts(self, permission: str) -> str:
        return self._state(permission).lasts

    def should_show_rationale(self, permission: str) -> bool:
        """Android's flag: true after a denial, false again once blocked."""
        return self.rules.rationale_flag and self.true_status(permission) == "denied"

    # per-use permissions ------------------------------------------------------------------
    def ask_each_time(self, permission: str) -> bool:
        """A per-use permission (iOS 16's paste prompt): Settings' Allow or Deny answers;
        otherwise the OS asks now, and the answer is not kept."""
        status = self.true_status(permission)
        if status != "not_determined":
            return status == "granted"
        return self._show(Dialog((permission,), ("allow", "deny"), "paste")) == "allow"

    # requests ---------------------------------------------------------------------------------
    def request(self, permissions: list[str]) -> dict[str, str]:
        """Show what the OS would show, ask the user, return what the app is told.
        ``outcomes`` then says, per permission, how it was decided."""
        self.outcomes = []
        asked = list(dict.fromkeys(permissions))
        results: dict[str, str] = {}
        if BACKGROUND in asked:
            asked = self._background(asked, results)
        for permission in asked:
            if permission not in results:
                self._one(permission, asked, results)
        return {p: results[p] for p in dict.fromkeys(permissions) if p in results}

    def _done(
        self, permission: str, results: dict[str, str], via: str, *, requested: bool = True
    ) -> None:
        state = self._state(permission)
        results[permission] = self.check(permission)
        self.outcomes.append(
            RequestOutcome(
                permission,
                self.true_status(permission),
                results[permission],
                via,
                state.lasts if self.true_status(permission) in GRANTED else "always",
                requested,
                state.provisional,
            )
        )

    def _one(self, permission: str, asked: list[str], results: dict[str, str]) -> None:
        rules, build = self.rules, self.build
        availability = rules.availability(permission)
        if availability == "unavailable":
            return self._done(permission, results, "unavailable")
        if permission in self.restricted:
            return self._done(permission, results, "restricted")
        if availability in ("none_needed", "install_time", "per_use"):
            return self._done(permission, results, "install")
        if not build.declared(permission):
            behaviour = rules.missing_usage_description.get(permission)
            if behaviour == "terminates":
                raise AppTerminated(f"app terminated: no usage description for {permission}")
            if behaviour == "ignored" or rules.os == "android":
                # iOS ignores location without its string; Android ignores what the
                # manifest does not declare.
                return self._done(permission, results, "ignored" if behaviour else "undeclared")
        if rules.precise_needs_coarse and permission == PRECISE and COARSE not in asked:
            return self._done(permission, results, "ignored")
        status = self.true_status(permission)
        group = rules.linked(permission)
        mode = rules.grant_mode(build)
        if (
            status in ("not_determined", "denied")
            and mode == "on_request"
            and permission not in rules.no_auto_grant
            and any(self.true_status(q) == "granted" for q in group - {permission})
        ):
            state = self._state(permission)
            state.status, state.lasts = "granted", "always"
            return self._done(permission, results, "group")
        reselect = (
            status == "limited"
            and rules.os == "android"
            and rules.selection(permission, build) is not None
        )
        if status not in ("not_determined", "denied") and not reselect:
            for p in [q for q in asked if q in group and q not in results] or [permission]:
                self._done(p, results, "held")
            return None
        if mode == "one_authorization":
            others = [q for q in sorted(group - {permission}) if build.declared(q)]
            members = [permission, *others]
        else:
            members = [q for q in asked if q in group and q not in results]
            members = [q for q in members if self.true_status(q) in ("not_determined", "denied")]
            if reselect:
                members = [permission]
        kind = "selection" if reselect else "permission"
        if permission == PRECISE and any(self.true_status(q) in GRANTED for q in group):
            kind = "upgrade"  # from approximate to precise (Android 12+)
        self._dialog(members, asked, results, kind)
        return None

    def _dialog(
        self,
        members: list[str],
        asked: list[str],
        results: dict[str, str],
        kind: str,
        *,
        options: tuple[str, ...] | None = None,
    ) -> None:
        members = tuple(members)
        needless = ""
        if "storage" in members and self.rules.own_files_need_no_permission(self.build):
            needless = "scoped storage: the app's own files need no permission"
        dialog = Dialog(members, options or self._options(members, asked), kind, needless)
        choice = self._show(dialog)
        # Keeping "while in use" on a Settings page is no refusal: nothing will block.
        spread = self._apply(members, choice, counts=kind != "settings")
        for p in members:
            if p in asked or self.rules.grant_mode(self.build) == "one_authorization":
                self._done(p, results, "settings" if kind == "settings" else "dialog")
        for p in spread:
            self._done(p, results, "group", requested=False)

    def _show(self, dialog: Dialog) -> str:
        self.on_dialog(dialog)
        choice = self.answer(dialog.permissions, dialog.options)
        if choice not in dialog.options:
            raise ValueError(f"{choice!r} is not a button of this dialog: {dialog.options}")
        return choice

    def _options(self, members: tuple[str, ...], asked: list[str]) -> tuple[str, ...]:
        rules, build = self.rules, self.build
        options = []
        if BACKGROUND in members and rules.background_location in ("in_dialog",):
            options.append("allow_always")
        options.append("allow")
        if any(p in rules.one_time for p in members):
            options.append("allow_once")
        location = {PRECISE, COARSE} & set(members)
        if (rules.coarse_only_choice and PRECISE in members and COARSE in asked) or (
            rules.reduced_accuracy and location and not build.location_default_reduced
        ):
            options.append("allow_coarse")  # Android's "Approximate", iOS's Precise switch off
        if any(rules.selection(p, build) for p in members):
            options.append("allow_limited")
        options.append("deny")
        if rules.dont_ask_again and max(self._state(p).denials for p in members) >= 1:
            options.append("deny_dont_ask")
        return tuple(options)

    def _apply(self, members: tuple[str, ...], choice: str, *, counts: bool = True) -> list[str]:
        """Record the user's answer; returns the permissions a grant reached through
        their group without being in the dialog (Android 6–7)."""
        rules, build = self.rules, self.build
        for p in members:
            state = self._state(p)
            if choice == "allow_limited" and rules.selection(p, build):
                state.status = "limited"
                state.lasts = "session" if rules.selection(p, build) == "temporary" else "always"
            elif choice.startswith("allow") and p == BACKGROUND:
                self._allow_background(state, choice)
            elif choice.startswith("allow"):
                reduced = p == PRECISE and (
                    choice == "allow_coarse"
                    or (rules.reduced_accuracy and build.location_default_reduced)
                )
                if reduced:
                    state.status = "limited" if rules.reduced_accuracy else "denied"
                else:
                    state.status = "granted"
                state.lasts = "session" if choice == "allow_once" else "always"
            elif counts:
                self._deny(state, choice)
            else:
                state.status = "denied"
        if not choice.startswith("allow") or rules.grant_mode(build) != "whole_group":
            return []
        spread = []
        for p in members:
            for q in sorted(rules.linked(p) - set(members)):
                state = self._state(q)
                if build.declared(q) and state.status in ("not_determined", "denied"):
                    state.status, state.lasts = "granted", "always"
                    spread.append(q)
        return spread

    def _allow_background(self, state: _State, choice: str) -> None:
        if choice == "allow_always":
            state.status, state.provisional, state.lasts = "granted", False, "always"
        elif self.rules.background_location == "upgrade_prompt" and choice != "allow_once":
            # iOS: "Allow While Using App" to an Always request is a provisional Always.
            state.status, state.provisional, state.lasts = "granted", True, "always"
        else:  # while in use only (Android 10), or Allow Once (iOS)
            self._deny(state, "deny")

    def _deny(self, state: _State, choice: str) -> None:
        state.denials += 1
        blocked = choice == "deny_dont_ask" or (
            self.rules.denials_to_block is not None and state.denials >= self.rules.denials_to_block
        )
        state.status = "blocked" if blocked else "denied"
        state.provisional = False

    # background location -------------------------------------------------------------------
    def _background(self, asked: list[str], results: dict[str, str]) -> list[str]:
        """Background location as the release handles it; returns what is left to ask."""
        rules, mode = self.rules, self.rules.background_location
        foreground = [p for p in asked if p in FOREGROUND]
        held = any(self.true_status(p) in GRANTED for p in FOREGROUND)
        if mode == "with_foreground":
            # No such permission: asking for it asks for foreground location.
            rest = [p for p in asked if p != BACKGROUND]
            wanted = foreground or [p for p in FOREGROUND if self.build.declared(p)]
            for p in wanted:
                if p not in rest:
                    rest.append(p)
            for p in rest:
                if p not in results:
                    self._one(p, rest, results)
            self._done(BACKGROUND, results, "foreground")
            return []
        if mode == "settings_only" and foreground:
            if rules.background_apart(self.build):
                for p in asked:  # the OS ignores the whole request
                    self._done(p, results, "ignored")
                return []
            self._done(BACKGROUND, results, "ignored")  # older apps: foreground only
            return [p for p in asked if p != BACKGROUND]
        if mode in ("settings_only", "in_dialog") and not foreground:
            if not held or self.true_status(BACKGROUND) in ("granted", "blocked"):
                self._done(BACKGROUND, results, "ignored" if not held else "held")
            else:
                kind = "settings" if mode == "settings_only" else "upgrade"
                self._dialog([BACKGROUND], asked, results, kind, options=("allow_always", "deny"))
            return [p for p in asked if p != BACKGROUND]
        if mode == "upgrade_prompt":
            state = self._state(BACKGROUND)
            if self.true_status(COARSE) == "not_determined":
                # The first prompt: While Using (with a provisional Always), Once, or not.
                group = [BACKGROUND] + [p for p in FOREGROUND if self.build.declared(p)]
                self._dialog(group, asked, results, "permission", options=self._ios_first(group))
            elif held and state.status == "not_determined":
                options = ("allow_always", "deny")
                self._dialog([BACKGROUND], asked, results, "upgrade", options=options)
            else:
                self._done(BACKGROUND, results, "held")
            return [p for p in asked if p != BACKGROUND]
        return asked  # in_dialog with foreground: one dialog, "Allow all the time" in it

    def _ios_first(self, group: list[str]) -> tuple[str, ...]:
        options = ["allow", "allow_once"]
        if self.rules.reduced_accuracy and not self.build.location_default_reduced:
            options.append("allow_coarse")
        return (*options, "deny")

    def background_use(self) -> bool:
        """The app uses location in the background: a provisional Always is confirmed or
        taken back now (iOS's later prompt). True when background location is allowed."""
        state = self._state(BACKGROUND)
        if state.provisional:
            choice = self._show(Dialog((BACKGROUND,), ("allow_always", "deny"), "upgrade"))
            if choice == "allow_always":
                state.provisional = False
            else:
                self._deny(state, "deny")
        return self.true_status(BACKGROUND) == "granted"

    # Settings, sessions, disuse ---------------------------------------------------------------
    def settings_set(self, permission: str, status: str) -> None:
        """The user changed it in Settings; the app sees it on its next check."""
        if status not in ("granted", "limited", "denied"):
            raise ValueError(f"Settings offers granted, limited or denied, not {status!r}")
        state = self._state(permission)
        state.lasts, state.provisional = "always", False
        if self.rules.availability(permission) == "per_use":
            state.status = "granted" if status == "granted" else "denied"  # Allow / Deny
            return
        if status == "denied":
            # iOS never shows the dialog again; Android lets the app ask once more.
            state.status = "blocked" if self.rules.os == "ios" else "denied"
        elif status == "limited" and permission not in self.rules.limited:
            state.status = "granted"  # no partial choice for this one: Settings grants it
        else:
            state.status = status

    def end_session(self) -> None:
        """ "Only this time", "Allow Once" and temporary selections end with the session."""
        for state in self._states.values():
            if state.lasts == "session" and state.status in GRANTED:
                state.status, state.lasts = "not_determined", "always"

    def app_used(self, now: datetime) -> list[str]:
        """Auto-reset: an app unused for long loses its runtime grants (Android 11+, and
        6–10 with Google Play services) — as if the user had chosen Deny in Settings, so
        the app may ask again. Returns the permissions it took back."""
        days = self.rules.auto_reset_days
        reset = []
        if (
            self.rules.auto_resets(self.build, self.play_services)
            and self.last_used is not None
            and now - self.last_used >= timedelta(days=days)
        ):
            for permission, state in sorted(self._states.items()):
                if state.status in GRANTED:
                    state.status, state.denials, state.lasts = "denied", 0, "always"
                    state.provisional = False
                    reset.append(permission)
        self.last_used = now
        return reset

    def prompt_at_launch(self, permission: str) -> bool:
        """The OS asks on its own, as the app starts (Android 13's notification dialog for
        apps targeting 12 or lower). True when it showed a dialog."""
        if self.true_status(permission) != "not_determined":
            return False
        self.request([permission])
        return True
