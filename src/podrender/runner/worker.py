"""`podrender worker`: an RQ worker that makes the units renders enqueue with `--queue`.

The worker process plays the zygote's part (podrender.runner.zygote): it loads numpy, the levelling
tables, the encoder and the engine once (and starts espeak in its synchronous mode), never speaks
itself, and RQ forks a fresh work horse from it for every unit. A unit is thus made as the local pool
makes it, by a process that has said nothing before (pyttsx3's output depends on what its process said
earlier), and its bytes are those of a local render. An engine a unit names that is not loaded yet
(kokoro, piper) is loaded here before the horse forks, and kept.

The horse dies with the worker (a worker killed with SIGKILL leaves no horse speaking on); its unit stays
in RQ's started-job registry, renewed every lease/3 s while the worker lives. Once the lease has run
out, the render (or any worker's maintenance) puts the unit back on the queue. Chunks the worker made
stay in its own cache, so a unit asked for again is answered at once.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rq import Queue, Worker
from rq.job import Job
from rq.timeouts import BaseTimeoutException
from rq.worker import WorkerStatus

from podrender.cache import Cache, default_cache_dir
from podrender.errors import PodrenderError
from podrender.runner.queue import QUEUE_NAME, REPLY_TTL, Answer, Expected, UnitOrder, connect, shown

#: Seconds a worker's claim on a unit lasts without a heartbeat: how soon a killed worker's unit is retried.
DEFAULT_LEASE = 30
#: Prune the worker's cache to its size limit after this many units.
PRUNE_EVERY = 200


@dataclass(frozen=True)
class WorkerSettings:
    name: str
    cache_root: Path


#: This worker's settings, set before the first horse forks (each horse inherits them).
_SETTINGS: list[WorkerSettings] = []


class UnitWorker(Worker):
    """RQ's forking worker with a short lease and the engines loaded before each horse forks."""

    def __init__(self, *args: Any, lease: int = DEFAULT_LEASE, **kwargs: Any) -> None:
        self.lease = max(3, lease)
        interval = max(1, self.lease // 3)
        kwargs.setdefault("job_monitoring_interval", interval)
        kwargs.setdefault("maintenance_interval", max(30, self.lease))
        super().__init__(*args, **kwargs)
        self._loaded: set[tuple[str, str]] = set()
        self._made = 0
        self._pid = os.getpid()

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        # RQ adds a minute to the job's timeout; a killed worker's unit would wait that long to be retried.
        return self.lease

    def request_stop(self, signum: Any, frame: Any) -> None:
        """SIGINT/SIGTERM. Busy: RQ's warm shutdown (the turn at hand is finished first). Idle: leave at
        once, as the zygote does (os._exit). RQ would raise from the signal handler wherever the worker
        is, and one raised inside redis-py's connection pool left its lock taken: measured, an idle worker
        asked to stop hung for ever in about one stop of three."""
        if self.get_state() != WorkerStatus.BUSY:
            self.log.info("Worker %s: stopped", self.name)
            for handler in self.log.handlers + logging.getLogger().handlers:
                handler.flush()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        super().request_stop(signum, frame)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        """The horse, just forked: first of all, have the kernel kill it if the worker dies."""
        from podrender.runner.pool import _die_with_parent

        _die_with_parent(self._pid)
        super().main_work_horse(job, queue)

    def execute_job(self, job: Job, queue: Queue) -> None:
        try:
            order = job.args[0]
            if isinstance(order, UnitOrder):
                self._load(order)
        except Exception:  # noqa: BLE001, S110 - only a head start: the horse meets the error and answers it
            pass
        _forget_dead_executions(job)
        super().execute_job(job, queue)
        self._made += 1
        if self._made % PRUNE_EVERY == 0:
            Cache(_SETTINGS[0].cache_root).prune()

    def _load(self, order: UnitOrder) -> None:
        """Load the unit's engine (and voice) here, once, so every horse inherits it."""
        from podrender.engines import get_engine

        voice = order.unit.voice
        key = (voice.engine, repr(voice))
        if key not in self._loaded:
            get_engine(voice.engine).preload([voice])
            self._loaded.add(key)


def _forget_dead_executions(job: Job) -> None:
    """Drop the job's executions whose worker died (their records expired with the lease). RQ 3.0 keeps
    their ids and then fails to finish the retried job ("Execution ... not found in Redis"), leaving it
    behind as failed although it was made."""
    from rq.executions import Execution

    conn = job.connection
    registry = job.execution_registry
    for entry in list(conn.zrange(registry.key, 0, -1)):
        execution_id = entry.decode() if isinstance(entry, bytes) else str(entry)
        if not conn.exists(Execution(id=execution_id, job_id=job.id, connection=conn).key):
            conn.zrem(registry.key, execution_id)


def default_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


def run_worker(
    url: str,
    *,
    cache_dir: Path | None = None,
    burst: bool = False,
    lease: int = DEFAULT_LEASE,
    name: str | None = None,
    log_level: str = "INFO",
) -> bool:
    """Work on the queue at `url` until stopped (SIGINT/SIGTERM: after the unit at hand), or, with `burst`,
    until it is empty. Whether any unit was made."""
    from podrender.runner.zygote import _get_ready

    conn = connect(url)
    cache = Cache(cache_dir or default_cache_dir())
    cache.ensure()
    settings = WorkerSettings(name or default_name(), cache.root)
    _SETTINGS[:] = [settings]
    _get_ready()  # numpy, levelling, LAME, espeak started: what the zygote loads before its workers fork
    worker = UnitWorker([Queue(QUEUE_NAME, connection=conn)], connection=conn, name=settings.name, lease=lease)
    worker.log.info("podrender worker %s on %s (queue %s)", settings.name, shown(url), QUEUE_NAME)
    return bool(worker.work(burst=burst, logging_level=log_level))


def make_unit(order: UnitOrder) -> None:
    """The job, in a work horse: make the unit's chunk (or find it in this worker's cache) and answer."""
    from rq import get_current_job

    job = get_current_job()
    assert job is not None
    if not job.connection.exists(order.waiting):
        return  # the render is gone (killed outright): nobody would take the chunk
    settings = _SETTINGS[0] if _SETTINGS else WorkerSettings(default_name(), default_cache_dir())
    answer = _answer(order, settings)
    data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    job.connection.eval(_ANSWER, 2, order.waiting, order.reply_to, data, REPLY_TTL)


#: Answer only while the render waits (it deletes `waiting` first when it stops, so no answer comes after it
#: has cleared its list). One script: atomic, and the answer never lingers without its time to live.
_ANSWER = """
if redis.call('exists', KEYS[1]) == 1 then
  redis.call('rpush', KEYS[2], ARGV[1])
  redis.call('expire', KEYS[2], ARGV[2])
end
"""


def _answer(order: UnitOrder, settings: WorkerSettings) -> Answer:
    unit = order.unit
    index = unit.index
    try:
        refusal = refusal_for(order.expected)
        if refusal is not None:
            return Answer(index, settings.name, error=refusal, refused=True)
        cache = Cache(settings.cache_root)
        meta = cache.get(unit.key)
        if meta is None:
            from podrender.audio.synthesize import codec_gain, make_chunk

            meta = make_chunk(unit, order.audio, settings.cache_root, codec_gain(order.audio))
        return Answer(index, settings.name, blob=cache.data_path(unit.key).read_bytes(), meta=meta)
    except BaseTimeoutException:
        raise  # RQ's job timeout: the unit is retried in a fresh horse
    except PodrenderError as exc:
        return Answer(index, settings.name, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - answered to the render, which names this worker
        return Answer(index, settings.name, error=f"{type(exc).__name__}: {exc}")


def refusal_for(expected: Expected) -> str | None:
    """Why this worker must not make a unit the render expects `expected` of; None when it may. An engine
    this worker lacks raises EngineError (it cannot make the unit, which is not the same as refusing)."""
    import podrender
    from podrender.audio.encode import encoder_identity
    from podrender.engines import get_engine

    if podrender.__version__ != expected.version:
        return (
            f"it runs podrender {podrender.__version__} and the render {expected.version}; "
            "run the same version on the workers and where you render"
        )
    mine = get_engine(expected.engine).identity()
    if mine != expected.engine_identity:
        return (
            f"its {expected.engine} engine is {mine} and the render's {expected.engine_identity}; "
            "install the same engine version on the workers and where you render"
        )
    encoder = encoder_identity()
    if encoder != expected.encoder_identity:
        return f"its MP3 encoder is {encoder} and the render's {expected.encoder_identity}"
    return None
