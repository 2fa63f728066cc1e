"""User work off the server: each inspect (and each render request's check) runs in a child process.

A script can take seconds of CPU (a long transcript, a slow skip pattern) and hundreds of megabytes; in
the server's own process it held the interpreter for every client, kept running after its client
left, and its memory stayed with the server (about 1 GB per 105,000-turn request, never returned).
Here the work runs in a child of a fork server (started once, single-threaded, with podrender
loaded: a child costs a fork, not an interpreter start), which is killed when the client disconnects,
when the time limit passes, or when the server stops; its memory goes back to the system with it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from fastapi import Request

import podrender
from podrender import PodrenderError
from podrender.web import jobs
from podrender.web.models import ApiError

#: Seconds one inspect or check may take before its process is killed.
WORK_TIME_LIMIT = 60.0
_PRELOAD = ["podrender.web.jobs", "podrender.web.preview", "podrender.pipeline", "podrender.output.castsheet"]
_context: Any = None
_running: set[Any] = set()


def _ctx() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(_PRELOAD)
    return _context


def _work(kind: str, request: Any, conn: Connection) -> None:
    """In the child: check the request as a render would, and answer the cast sheet (inspect; with
    `inspect --spoken`'s turns under "spoken" for inspect-spoken), the number of units and the title
    (a render's check), or the MP3 of a preview."""
    try:
        from podrender import cast_sheet, spoken_sheet

        if kind == "preview":
            from podrender.web.preview import make_preview

            conn.send(("ok", make_preview(request)))
            return
        prepared = jobs.check_request(request, in_server=False)
        if kind in ("inspect", "inspect-spoken"):
            sheet = cast_sheet(prepared)
            if kind == "inspect-spoken":
                sheet["spoken"] = spoken_sheet(prepared)["turns"]
            conn.send(("ok", sheet))
        else:
            conn.send(("ok", {"units": len(prepared.plan.units), "title": prepared.title}))
    except PodrenderError as exc:
        conn.send(("error", type(exc).__name__, exc.detail, exc.path, exc.line))
    except Exception as exc:  # noqa: BLE001 - reported to the client as one line
        conn.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _rebuild(name: str, detail: str, path: str | None, line: int | None) -> PodrenderError:
    kind = getattr(jobs, name, None) or getattr(podrender, name, None)
    if not (isinstance(kind, type) and issubclass(kind, PodrenderError)):
        kind = PodrenderError
    return kind(detail, path=path, line=line)


def stop_all() -> None:
    """Kill the work still running and the fork server (the server is stopping)."""
    for proc in list(_running):
        if proc.is_alive():
            proc.kill()
    for proc in list(_running):
        proc.join(2)
    _running.clear()
    if _context is not None:
        from multiprocessing import forkserver

        stop = getattr(forkserver._forkserver, "_stop", None)  # Python 3.11+: ends the fork server
        if stop is not None:
            stop()


class ClientGone(Exception):
    """The client disconnected before the answer was ready; its work was stopped."""


async def run_work(request: Request, kind: str, render_request: Any, limit: float | None = None) -> Any:
    """Run `kind` ("inspect", "check" or "preview") for `render_request` in a child process; its answer, or its
    PodrenderError raised here. The child is killed when `request`'s client leaves (ClientGone), when
    `limit` seconds pass (ApiError 503), or when this coroutine is cancelled (the server stops)."""
    limit = WORK_TIME_LIMIT if limit is None else limit
    loop = asyncio.get_running_loop()
    reader, writer = _ctx().Pipe(duplex=False)
    proc = _ctx().Process(target=_work, args=(kind, render_request, writer), name=f"podrender-{kind}")
    ready = loop.create_future()
    try:
        try:
            proc.start()
        except OSError as exc:
            raise ApiError(503, f"cannot start a process to read the script ({exc.strerror or exc})") from None
        _running.add(proc)
        writer.close()
        def answered() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(reader.fileno(), answered)
        deadline = loop.time() + limit
        while not ready.done():
            try:
                await asyncio.wait_for(asyncio.shield(ready), timeout=0.25)
            except asyncio.TimeoutError:
                if await request.is_disconnected():
                    raise ClientGone() from None
                if loop.time() > deadline:
                    raise ApiError(503, f"the script took longer than {limit:g} s to read; try a shorter one") from None
        try:
            message = reader.recv()
        except EOFError:
            message = ("crash", f"the process reading the script died (exit code {proc.exitcode})")
    finally:
        loop.remove_reader(reader.fileno())
        reader.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        _running.discard(proc)
    if message[0] == "ok":
        return message[1]
    if message[0] == "error":
        raise _rebuild(*message[1:])
    raise ApiError(500, f"reading the script failed unexpectedly ({message[1]})")
