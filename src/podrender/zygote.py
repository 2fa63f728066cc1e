"""A helper process that gets the synthesis side ready while the parent plans, then runs the workers.

Every render that makes a chunk needs numpy, the levelling tables, the encoder and the engine's
library loaded before the workers fork (podrender.synthesize.prepare_workers): about 0.2 s here,
most of the cost of a one-word edit after the process start. The zygote is forked when a render
begins and loads all that on the other core while the parent parses, casts and plans. The parent
then sends it the units to make; it forks one worker per unit from itself (podrender.pool) and
reports each chunk's metadata as it is stored. When nothing is missing it is killed unused.

Errors cross the pipe as the project's own exceptions; an interrupted or failing parent stops the
zygote, and the zygote's pool kills its workers on the way out.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podrender import errors
from podrender.errors import EngineError, PodrenderError
from podrender.pool import Task

if TYPE_CHECKING:  # started before anything else of a render: it imports only what it needs to fork
    from podrender.audio import AudioSettings
    from podrender.plan import Unit

#: Loaded before the order comes (the default engine of voices.yaml).
DEFAULT_ENGINE = "pyttsx3"

#: Seconds an asked-to-stop zygote gets to kill its workers before it is killed itself.
STOP_GRACE = 5.0


@dataclass(frozen=True)
class Order:
    """What the zygote is asked to make: `tasks[i].id` is the index of a unit in `units`."""

    tasks: tuple[Task, ...]
    units: dict[int, Unit]
    audio: AudioSettings
    cache_root: Path
    scratch: Path
    jobs: int


def _get_ready() -> None:
    """Load what workers use, so that each one inherits it (the engines are loaded with the order,
    which names them). Failures are left for the order to meet again, where they are reported as
    they always were."""
    # podrender's numpy code never calls BLAS (loudness.py uses einsum), and every worker is a process
    # of its own: OpenBLAS's thread pool would only compete with the parent for the other core.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from podrender.engines import get_engine
        from podrender.synthesize import prepare_workers

        prepare_workers()
        get_engine(DEFAULT_ENGINE).preload([])  # the engine most renders use; others load with the order
    except Exception:  # noqa: BLE001, S110 - only a head start; fulfil() raises the real error
        pass


def _fulfil(order: Order, conn: Connection) -> None:
    from podrender.engines import get_engine
    from podrender.pool import run_tasks
    from podrender.synthesize import codec_gain, make_chunk, prepare_workers

    units = list(order.units.values())
    for name in sorted({u.voice.engine for u in units}):  # every engine the units use
        get_engine(name).preload([u.voice for u in units if u.voice.engine == name])
    prepare_workers()
    gain = codec_gain(order.audio)

    def work(task: Task) -> dict[str, Any]:
        return make_chunk(order.units[task.id], order.audio, order.cache_root, gain, order.scratch)

    def done(task: Task, meta: dict[str, Any]) -> None:
        conn.send(("done", task.id, meta))

    run_tasks(order.tasks, work, done, jobs=order.jobs)


def _serve(conn: Connection, parents_end: Connection) -> None:
    # The fork copied the parent's end of the pipe too: closed here, the parent's death is an end of
    # file for the zygote, which then leaves (waiting for an order, or telling of a chunk).
    parents_end.close()
    # Ctrl-C reaches the whole foreground group; the parent answers it by stopping the zygote
    # (SIGTERM), which leaves through the pool's clean-up and kills its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    code = 0
    try:
        _get_ready()
        order = conn.recv()
        if order is not None:
            try:
                _fulfil(order, conn)
                conn.send(("end",))
            except PodrenderError as exc:
                conn.send(("error", type(exc).__name__, exc.detail, exc.path, exc.line))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it as EngineError
                conn.send(("error", "EngineError", f"{type(exc).__name__}: {exc}", None, None))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the parent is gone (broken pipe): nobody to tell
        code = 1
    finally:
        conn.close()
    # Out without multiprocessing's traceback printing or at-exit work: the pool has reaped its workers.
    os._exit(code)


def _rebuild(name: str, detail: str, path: str | None, line: int | None) -> PodrenderError:
    kind = getattr(errors, name, None)
    if not (isinstance(kind, type) and issubclass(kind, PodrenderError)):
        kind = EngineError
    return kind(detail, path=path, line=line)


class Zygote:
    """`Zygote.start()` as early as possible; `make(order, on_done)` at most once; always `close()`."""

    def __init__(self, proc: Any, conn: Connection) -> None:
        self._proc = proc
        self._conn = conn
        self._ordered = False
        self._answered = False

    @classmethod
    def start(cls) -> Zygote:
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe(duplex=True)
        # Not a daemon: multiprocessing forbids daemons children, and the zygote's workers are its.
        proc = ctx.Process(target=_serve, args=(there, here), name="podrender-zygote")
        proc.start()
        there.close()
        return cls(proc, here)

    def make(
        self,
        order: Order,
        on_done: Callable[[int, dict[str, Any]], None],
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Have the zygote make every task of `order`; `on_done(unit index, metadata)` as each is stored.
        `meanwhile()` runs here once the order is sent. Raises the error that stopped the work."""
        self._ordered = True
        try:
            self._conn.send(order)
        except OSError:
            raise EngineError(f"the worker process died (exit code {self._proc.exitcode})") from None
        if meanwhile is not None:
            meanwhile()
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                self._proc.join()
                raise EngineError(f"the worker process died (exit code {self._proc.exitcode})") from None
            if message[0] == "done":
                on_done(message[1], message[2])
                continue
            self._answered = True
            if message[0] == "end":
                return
            raise _rebuild(*message[1:])

    def close(self) -> None:
        """Stop the zygote: unused, it is killed at once; working, it is told to stop and kills its workers."""
        proc = self._proc
        if not self._ordered:
            proc.kill()  # nothing of its own to clean up: it has not started a worker
        elif not self._answered:
            proc.terminate()  # interrupted or failed here: it kills its workers on the way out
            proc.join(timeout=STOP_GRACE)
            if proc.exitcode is None:
                proc.kill()
        proc.join()  # answered: it is on its way out
        self._conn.close()


def missing_tasks(units: Sequence[Unit], timeout: Callable[[Unit], float]) -> tuple[Task, ...]:
    """Tasks for `units`, longest first, so no worker is left with a long unit while the others sit idle."""
    ordered = sorted(units, key=lambda u: -len(u.text))
    return tuple(Task(u.index, f"turn at line {u.line} ({u.speaker})", timeout(u)) for u in ordered)
