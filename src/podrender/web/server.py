"""How `podrender serve` runs the app: uvicorn, with a deadline for each request to arrive whole.

uvicorn closes idle keep-alive connections, but waits for ever for a request that is half sent (a few
header bytes, or a body that stops): enough of those hold the server's connections. TimedH11Protocol
gives every request `request_timeout` seconds, from its first byte (or the connection's opening) to
its last, and closes the connection when they run out. On SIGTERM or Ctrl-C, requests still running
after `GRACE_SECONDS` are cancelled (their work processes are killed), so the server stops within 5 s.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

GRACE_SECONDS = 3
REQUEST_TIMEOUT = 30.0


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive whole."""

    request_timeout: float = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self._arm()  # a request begins or goes on; the deadline is not pushed back by each byte
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()  # the request is whole

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


def run(app: Any, host: str, port: int, request_timeout: float = REQUEST_TIMEOUT) -> None:
    """Serve `app` until SIGTERM or Ctrl-C."""
    protocol = type("TimedH11", (TimedH11Protocol,), {"request_timeout": request_timeout})
    uvicorn.run(
        app, host=host, port=port, log_level="warning", http=protocol, timeout_keep_alive=5,
        timeout_graceful_shutdown=GRACE_SECONDS, h11_max_incomplete_event_size=64 * 1024,
    )  # fmt: skip
