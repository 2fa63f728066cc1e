"""What the server does before any route sees a request, and to every answer: the allowed Host names
(against DNS rebinding), a same-origin check on requests that change something (against cross-site
form posts), a session cookie that says whose renders are whose, and security headers.

A pure ASGI middleware, so it sees every response, the static files' too.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podrender.web.models import PAGE_POLICY

SESSION_COOKIE = "podrender_session"
#: Hosts served when `podrender serve` is not told otherwise, besides the address it listens on.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SECURITY_HEADERS = (
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
#: Bodies a browser sends cross-site without asking first (a "simple" request). Such a post must say
#: where it comes from (Origin or Referer); JSON cannot be sent cross-site without the server's consent.
_SIMPLE_BODIES = ("application/x-www-form-urlencoded", "text/plain")
_CHANGES = ("POST", "PUT", "PATCH", "DELETE")


def host_name(value: str) -> str:
    """The name in a Host header or URL authority, without the port and the IPv6 brackets, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def owner_of(session: str) -> str:
    """What a job folder records of the session that made it: a digest, so the folder never holds the token."""
    return hashlib.sha256(session.encode()).hexdigest()[:32]


class Security:
    """ASGI middleware: allowed hosts, the same-origin rule, the session cookie, security headers.

    `scope["state"]["owner"]` is set for the routes: the owner digest of the caller's session."""

    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str]) -> None:
        self.app = app
        self.allowed = {host_name(h) for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if "*" not in self.allowed and host_name(host) not in self.allowed:
            await _refuse(send, 400, "this server does not answer to that host name; start it with --allowed-host")
            return
        if scope["method"] in _CHANGES:
            problem = _cross_site(headers, scope.get("scheme", "http"), host)
            if problem:
                await _refuse(send, 403, problem)
                return
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is no session
            cookie = SimpleCookie()
        morsel = cookie.get(SESSION_COOKIE)
        session = morsel.value if morsel is not None and len(morsel.value) >= 22 else None
        new_session = session is None
        if session is None:
            session = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["owner"] = owner_of(session)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(SECURITY_HEADERS)
                if new_session:
                    value = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict"
                    extra.append((b"set-cookie", value.encode()))
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((k, v) for k, v in extra if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cross_site(headers: dict[str, str], scheme: str, host: str) -> str | None:
    """Why a request that changes something is refused, or None. Its Origin (else its Referer) must be
    this server; a form-like body with neither is refused (browsers send one of them on such posts)."""
    origin = headers.get("origin")
    if origin is None and headers.get("referer"):
        parts = urlsplit(headers["referer"])
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is not None:
        if origin == "null" or origin.rstrip("/").lower() != f"{scheme}://{host}".lower():
            return f"requests from another site ({origin}) are not accepted"
        return None
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in _SIMPLE_BODIES:
        return "a form post must come from this server's page (no Origin or Referer header was sent)"
    return None


async def _refuse(send: Send, status: int, message: str) -> None:
    import json

    body = json.dumps({"error": message, "field": None}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *SECURITY_HEADERS]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
