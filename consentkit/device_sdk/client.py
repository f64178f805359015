"""The SDK's HTTP client, on httpx, with a pluggable transport.

The same code path talks to a server over the network or to the Flask app in-process
(``httpx.WSGITransport``). It keeps the tokens, refreshes them once on expiry, and turns
every non-2xx answer into a ``ServerError`` carrying the problem detail.
"""

from __future__ import annotations

from typing import Any

import httpx

from .errors import AuthError, OfflineError, ServerError
from .store import DeviceStore

__all__ = ["ApiClient", "in_process"]


def in_process(wsgi_app: Any) -> httpx.WSGITransport:
    """A transport that calls a WSGI app directly: no socket, same requests."""
    return httpx.WSGITransport(app=wsgi_app)


class ApiClient:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000/api/v1",
        *,
        transport: httpx.BaseTransport | None = None,
        store: DeviceStore | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/") + "/", transport=transport, timeout=timeout
        )
        self.store = store or DeviceStore()

    # plumbing ---------------------------------------------------------------
    @property
    def tokens(self) -> dict[str, str] | None:
        return self.store.get("tokens")

    def _send(self, method: str, path: str, *, auth: bool, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth and self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        try:
            return self.http.request(method, path.lstrip("/"), headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise OfflineError(f"{method} {path}: {exc}") from exc

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Any:
        """Send, refresh once on an expired token, and decode the JSON answer."""
        response = self._send(method, path, auth=auth, **kwargs)
        if (
            response.status_code == 401
            and auth
            and self.tokens
            and _code(response) == "token_expired"
        ):
            self.refresh()
            response = self._send(method, path, auth=auth, **kwargs)
        if response.status_code >= 400:
            problem = _problem(response)
            error = AuthError if response.status_code == 401 else ServerError
            raise error(response.status_code, problem, _retry_after(response))
        return response.json() if response.content else None

    # endpoints ----------------------------------------------------------------
    def policy(self, app_id: str) -> dict[str, Any]:
        return self.request("GET", f"apps/{app_id}/policy", auth=False)

    def send_code(self, phone: str) -> None:
        self.request("POST", "auth/code", auth=False, json={"phone": phone})

    def register(
        self, phone: str, code: str, password: str, install_id: str, birth_date: str | None = None
    ) -> dict[str, Any]:
        body = {"phone": phone, "code": code, "password": password, "install_id": install_id}
        if birth_date:
            body["birth_date"] = birth_date
        return self._keep(self.request("POST", "auth/register", auth=False, json=body))

    def login(
        self,
        phone: str,
        *,
        password: str | None = None,
        code: str | None = None,
        install_id: str | None = None,
    ) -> dict[str, Any]:
        body = {"phone": phone, "install_id": install_id}
        body.update({"password": password} if password is not None else {"code": code})
        return self._keep(self.request("POST", "auth/login", auth=False, json=body))

    def refresh(self) -> None:
        refresh = (self.tokens or {}).get("refresh_token")
        response = self._send(
            "POST", "auth/refresh", auth=False, headers={"Authorization": f"Bearer {refresh}"}
        )
        if response.status_code != 200:
            self.store.delete("tokens")
            raise AuthError(response.status_code, _problem(response))
        self._keep(response.json())

    def logout(self) -> None:
        try:
            self.request("POST", "auth/logout")
        finally:
            self.store.delete("tokens")

    def _keep(self, answer: dict[str, Any]) -> dict[str, Any]:
        self.store.put("tokens", {k: answer[k] for k in ("access_token", "refresh_token")})
        self.store.put("user", answer.get("user"))
        return answer

    def dev_outbox(self, phone: str) -> list[dict[str, Any]]:
        return self.request("GET", "dev/outbox", auth=False, params={"phone": phone})


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the server sends seconds, not dates)."""
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"code": "http_error", "status": response.status_code, "detail": response.text[:200]}


def _code(response: httpx.Response) -> str:
    return _problem(response).get("code", "")
