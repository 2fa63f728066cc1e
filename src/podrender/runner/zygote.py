"""A helper process that gets the synthesis side ready while the parent plans, then runs the workers.

Every render that makes a chunk needs numpy, the levelling tables, the encoder and the engine's
library loaded before the workers fork (podrender.audio.synthesize.prepare_workers): about 0.2 s here,
most of the cost of a one-word edit after the process start. The zygote is forked when a render
begins and loads all that on the other core while the parent parses, casts and plans. The parent
then sends it the units to make; it forks one worker per unit from itself (podrender.runner.pool) and
reports each chunk's metadata as it is stored. When nothing is missing it is killed unused.

It is a bare `os.fork` talking through two pipes (length-prefixed pickles), so that the parent
does not load multiprocessing (40 ms) before it can plan. Errors cross the pipe as the project's
own exceptions; an interrupted or failing parent stops the zygote, whose pool kills its workers on
the way out, and a parent that dies is an end of file for it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podrender import errors
from podrender.errors import EngineError, PodrenderError
from podrender.runner.pool import Task

if TYPE_CHECKING:  # started before anything else of a render: it imports only what it needs to fork
    from podrender.audio.settings import AudioSettings
    from podrender.speech.plan import Unit

#: Loaded before the order comes (the default engine of voices.yaml).
DEFAULT_ENGINE = "pyttsx3"

#: Seconds an asked-to-stop zygote gets to kill its workers before it is killed itself.
STOP_GRACE = 5.0

_LENGTH = struct.Struct("!Q")


class _Pipe:
    """One direction of the conversation: pickled messages, each after its length."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            view = view[os.write(self.fd, view) :]

    def _exactly(self, size: int) -> bytes:
        parts: list[bytes] = []
        while size:
            part = os.read(self.fd, min(size, 1 << 20))
            if not part:
                raise EOFError("the other end closed the pipe")
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    def recv(self) -> Any:
        (size,) = _LENGTH.unpack(self._exactly(_LENGTH.size))
        return pickle.loads(self._exactly(size))

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


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
        import multiprocessing.connection  # noqa: F401 - the pool's, loaded before the order

        from podrender.audio.synthesize import prepare_workers
        from podrender.engines import get_engine

        prepare_workers()
        engine = get_engine(DEFAULT_ENGINE)  # the engine most renders use; others load with the order
        engine.preload([])
        engine.start_for_workers()
    except Exception:  # noqa: BLE001, S110 - only a head start; fulfil() raises the real error
        pass


def _fulfil(order: Order, conn: _Pipe) -> None:
    from podrender.audio.synthesize import codec_gain, make_chunk, prepare_workers
    from podrender.engines import get_engine
    from podrender.runner.pool import run_tasks

    units = list(order.units.values())
    for name in sorted({u.voice.engine for u in units}):  # every engine the units use
        get_engine(name).preload([u.voice for u in units if u.voice.engine == name])
    prepare_workers()
    gain = codec_gain(order.audio)
    # Fewer units than cores (an edit re-made): each worker may encode its chunk's parts on the idle ones.
    threads = max(1, order.jobs // len(order.tasks))

    def work(task: Task) -> dict[str, Any]:
        return make_chunk(order.units[task.id], order.audio, order.cache_root, gain, order.scratch, threads)

    def done(task: Task, meta: dict[str, Any]) -> None:
        conn.send(("done", task.id, meta))

    run_tasks(order.tasks, work, done, jobs=order.jobs)


def _leave(*_: object) -> None:
    """SIGTERM: leave through the clean-up (the pool kills its workers on the way). A second SIGTERM is
    ignored, so it cannot interrupt that clean-up."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(143)


def _leave_again(unraisable: Any) -> None:
    """sys.unraisablehook: a SIGTERM that arrived while a finalizer ran (a pipe's __del__) raised its
    SystemExit there, where Python can only print it ('Exception ignored in ...', a traceback on the
    user's terminal) and carry on. Leave quietly instead: an alarm 10 ms on raises it again, outside."""
    if isinstance(unraisable.exc_value, SystemExit):
        signal.signal(signal.SIGALRM, _leave)
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    sys.__unraisablehook__(unraisable)


def _serve(orders: _Pipe, reports: _Pipe) -> int:
    """The zygote's life; its exit status."""
    # Ctrl-C reaches the whole foreground group; the parent answers it by stopping the zygote
    # (SIGTERM), which leaves through the pool's clean-up and kills its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave)
    sys.unraisablehook = _leave_again
    try:
        _get_ready()
        # Collections in the workers skip what they inherit: less work, and no page copied for it.
        gc.freeze()
        gc.enable()
        order = orders.recv()
        if order is None:
            return 0
        try:
            _fulfil(order, reports)
            reports.send(("end",))
        except PodrenderError as exc:
            reports.send(("error", type(exc).__name__, exc.detail, exc.path, exc.line))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it as EngineError
            reports.send(("error", "EngineError", f"{type(exc).__name__}: {exc}", None, None))
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the parent is gone (end of file, broken pipe): nobody to tell
        return 1


def _rebuild(name: str, detail: str, path: str | None, line: int | None) -> PodrenderError:
    kind = getattr(errors, name, None)
    if not (isinstance(kind, type) and issubclass(kind, PodrenderError)):
        kind = EngineError
    return kind(detail, path=path, line=line)


class Zygote:
    """`Zygote.start()` as early as possible; `make(order, on_done)` at most once; always `close()`."""

    def __init__(self, pid: int, orders: _Pipe, reports: _Pipe) -> None:
        self.pid = pid
        self._orders = orders
        self._reports = reports
        self._ordered = False
        self._answered = False
        self._status: int | None = None

    @classmethod
    def start(cls) -> Zygote:
        try:
            order_r, order_w = os.pipe()
            report_r, report_w = os.pipe()
        except OSError as exc:
            raise EngineError(f"cannot start the worker processes ({exc.strerror})") from None
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (order_r, order_w, report_r, report_w):
                os.close(fd)
            raise EngineError(f"cannot start the worker processes ({exc.strerror})") from None
        if pid == 0:  # pragma: no cover - the zygote (its tests watch it from outside)
            code = 1
            try:
                # The parent's ends closed here: its death is an end of file for the zygote.
                os.close(order_w)
                os.close(report_r)
                code = _serve(_Pipe(order_r), _Pipe(report_w))
            finally:
                os._exit(code)  # never back into the parent's code; the pool has reaped its workers
        os.close(order_r)
        os.close(report_w)
        return cls(pid, _Pipe(order_w), _Pipe(report_r))

    def _died(self) -> EngineError:
        self._wait()
        return EngineError(f"the worker process died (exit code {self._status})")

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
            self._orders.send(order)
        except OSError:
            raise self._died() from None
        if meanwhile is not None:
            meanwhile()
        while True:
            try:
                message = self._reports.recv()
            except (EOFError, OSError):
                raise self._died() from None
            if message[0] == "done":
                on_done(message[1], message[2])
                continue
            self._answered = True
            if message[0] == "end":
                return
            raise _rebuild(*message[1:])

    def _wait(self, timeout: float | None = None) -> bool:
        """Reap the zygote (within `timeout` seconds, when given); whether it has exited."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._status is None:
            try:
                pid, status = os.waitpid(self.pid, 0 if deadline is None else os.WNOHANG)
            except ChildProcessError:
                self._status = -1
                break
            if pid:
                self._status = os.waitstatus_to_exitcode(status)
            elif deadline is not None and time.monotonic() >= deadline:
                return False
            else:
                time.sleep(0.01)
        return True

    def _signal(self, sig: int) -> None:
        if self._status is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        """Stop the zygote: unused, it is killed at once; working, it is told to stop and kills its workers."""
        if not self._ordered:
            self._signal(signal.SIGKILL)  # nothing of its own to clean up: it has not started a worker
        elif not self._answered:
            self._signal(signal.SIGTERM)  # interrupted or failed here: it kills its workers on the way out
            if not self._wait(STOP_GRACE):
                self._signal(signal.SIGKILL)
        self._wait()  # answered: it is on its way out
        self._orders.close()
        self._reports.close()


_EARLY: list[Zygote] = []


def start_early() -> None:
    """Fork a zygote now, for the render this process is about to run (podrender.runner.launch); the render
    takes it with `take_early()`. One not taken is stopped at exit. A failed fork is left for the
    render, which tries again and reports it."""
    import atexit

    try:
        _EARLY.append(Zygote.start())
    except PodrenderError:
        return
    atexit.register(_stop_early)


def take_early() -> Zygote | None:
    """The zygote start_early forked, once; None when there is none."""
    return _EARLY.pop() if _EARLY else None


def _stop_early() -> None:
    while _EARLY:
        _EARLY.pop().close()


def turn_timeout(unit: Unit) -> float:
    """Seconds a worker may take for one unit before it is killed and retried."""
    return 60.0 + len(unit.text) / 20


def missing_tasks(units: Sequence[Unit]) -> tuple[Task, ...]:
    """Tasks for `units`, longest first, so no worker is left with a long unit while the others sit idle."""
    ordered = sorted(units, key=lambda u: -len(u.text))
    return tuple(Task(u.index, f"turn at line {u.line} ({u.speaker})", turn_timeout(u)) for u in ordered)
