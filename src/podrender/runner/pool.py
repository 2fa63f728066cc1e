"""Run work in forked child processes: one fresh process per task, bounded concurrency,
a deadline per task, one retry in a fresh process, and a clear error naming the task.

A process per task is deliberate: pyttsx3/espeak output depends on what the process said before,
and a hung or crashed engine takes only its own process down.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from podrender.errors import EngineError, PodrenderError

if TYPE_CHECKING:  # multiprocessing is loaded by run_tasks: a render's parent only needs Task
    from multiprocessing.connection import Connection

R = TypeVar("R")

#: Stop early once this many tasks have failed for good: something is wrong with every task.
MAX_FAILURES = 3


@dataclass(frozen=True)
class Task:
    id: int
    label: str
    """Names the task for people: "turn at line 12 (Sayak)"."""
    timeout: float


_SIGNALS = {signal.SIGINT, signal.SIGTERM}


#: prctl option: the signal the kernel sends this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker if its parent dies without killing it first (SIGKILL, OOM)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _child(work: Callable[[Task], Any], task: Task, conn: Connection, parent: int) -> None:
    # A group of its own: Ctrl-C reaches the parent only, and the parent can kill the worker
    # together with anything it started (ffmpeg), so nothing keeps running or holds a pipe.
    os.setpgid(0, 0)
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    try:
        result = work(task)
        conn.send(("ok", result))
    except PodrenderError as exc:
        conn.send(("error", exc.detail))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a failed task
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_tasks(
    tasks: Iterable[Task],
    work: Callable[[Task], R],
    on_done: Callable[[Task, R], None],
    *,
    jobs: int,
    retries: int = 1,
) -> None:
    """Run `work(task)` for every task in a fresh forked process, at most `jobs` at once.

    A task that fails is retried `retries` times in a fresh process. A task that keeps failing
    does not stop the others (their results are kept, so a later run resumes from them), unless
    failures pile up; the first failure is then raised as EngineError naming its task.
    """
    import multiprocessing
    from multiprocessing.connection import Connection, wait

    ctx = multiprocessing.get_context("fork")
    pending = deque(tasks)
    attempts: dict[int, int] = {}
    running: dict[Connection, tuple[Task, Any, float]] = {}
    given_up: list[str] = []

    def failed(task: Task, why: str) -> None:
        attempts[task.id] = attempts.get(task.id, 0) + 1
        if attempts[task.id] > retries:
            given_up.append(f"{task.label}: {why}")
            if len(given_up) >= MAX_FAILURES:
                raise EngineError(given_up[0])
        else:
            pending.appendleft(task)

    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                task = pending.popleft()
                reader, writer = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(work, task, writer, os.getpid()), daemon=True)
                # No interruption between the fork and the bookkeeping that lets us kill the worker.
                signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
                try:
                    proc.start()
                    running[reader] = (task, proc, time.monotonic() + task.timeout)
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
                writer.close()
            soonest = min(deadline for _, _, deadline in running.values())
            ready = wait(list(running), timeout=max(0.0, soonest - time.monotonic()))
            for conn in ready:
                assert isinstance(conn, Connection)
                task, proc, _ = running.pop(conn)
                try:
                    status, value = conn.recv()
                except (EOFError, OSError):
                    proc.join()
                    status, value = "error", f"the worker process died (exit code {proc.exitcode})"
                conn.close()
                proc.join()
                if status == "ok":
                    on_done(task, value)
                else:
                    failed(task, str(value))
            now = time.monotonic()
            for conn, (task, proc, deadline) in list(running.items()):
                if now >= deadline:
                    _kill(proc)
                    conn.close()
                    del running[conn]
                    failed(task, f"the engine did not finish within {task.timeout:.0f} s")
    finally:
        for conn, (_, proc, _) in running.items():
            _kill(proc)
            conn.close()
    if given_up:
        raise EngineError(given_up[0])


def _kill(proc: Any) -> None:
    """Kill a worker and everything in its process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, TypeError):
        proc.kill()
    proc.join()


def call_in_child(fn: Callable[[], R], timeout: float = 60.0, label: str = "engine") -> R:
    """Run `fn()` in a throw-away forked process and return its result."""
    out: list[R] = []
    run_tasks([Task(0, label, timeout)], lambda _task: fn(), lambda _task, value: out.append(value), jobs=1)
    return out[0]
