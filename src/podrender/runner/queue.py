"""Make a render's missing units on other machines: one RQ job per unit on Redis, the chunks gathered back.

The render plans here and enqueues only the units its cache lacks, longest first. Each job carries the
unit, the audio settings and what the render expects of the worker that takes it (podrender's version,
the engine's and the encoder's identities), so a worker of another version refuses it instead of making
a chunk that would differ. A worker (podrender.runner.worker) answers on the render's own list in Redis
with the chunk's bytes and metadata, or with why it could not make it; the list expires after
REPLY_TTL seconds, so a render that is gone leaves nothing behind for long. The render blocks on that
list, stores each chunk in its own cache and reports it, as the local pool does.

Nothing lost: a worker killed mid-unit stops renewing its lease in RQ's started-job registry; once the
lease has run out, `StartedJobRegistry.cleanup()` (called here every POLL_SECONDS) puts the unit back on
the queue (RQ's Retry), for any worker. Nothing duplicated: a unit answered twice is stored once, and a
render that stops (Ctrl-C, an error) takes its queued units off the queue and stops its running ones.
"""

from __future__ import annotations

import pickle
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from podrender.cache import Cache
from podrender.errors import QueueError
from podrender.runner.zygote import missing_tasks

if TYPE_CHECKING:  # rq and redis are the `queue` extra: loaded only when a render or a worker uses them
    from redis import Redis

    from podrender.audio.settings import AudioSettings
    from podrender.speech.plan import Unit

#: The RQ queue every render and worker shares.
QUEUE_NAME = "podrender"
#: The function a worker runs for a job (named, not imported: the render does not load the worker).
JOB_FUNCTION = "podrender.runner.worker.make_unit"
#: Seconds a render's answers (chunks) and failed jobs stay in Redis if nobody collects them.
REPLY_TTL = 3600
#: Seconds the render's "waiting" mark lives unless renewed (every POLL_SECONDS): a render killed outright
#: stops taking answers after this, and workers skip its units.
WAITING_TTL = 60
#: Times a unit whose worker died (or timed out) is put back on the queue.
RETRIES = 2
#: Seconds a unit may be neither queued nor running (nor answered) before the render enqueues it again:
#: a worker that died at the wrong instant can leave a unit so, out of RQ's sight.
LOST_SECONDS = 10.0
#: Seconds a stopping render waits for workers to stop its running units.
STOP_GRACE = 3.0
#: Seconds between looks for units of killed workers and for failed jobs, while waiting for answers.
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Expected:
    """What the render expects of the worker that makes a unit; a worker that differs refuses it."""

    version: str
    """podrender's version."""
    engine: str
    """The engine's name (a worker without it cannot make the unit)."""
    engine_identity: str
    """Engine.identity(): the engine's version and library, as in the unit's cache key."""
    encoder_identity: str


@dataclass(frozen=True)
class UnitOrder:
    """One job: a unit to make and where to answer."""

    unit: Unit
    audio: AudioSettings
    label: str
    """Names the unit for people: "turn at line 12 (Sayak)"."""
    expected: Expected
    reply_to: str
    """The Redis list the render waits on."""
    waiting: str
    """A key that exists while the render waits: workers answer only then."""


@dataclass(frozen=True)
class Answer:
    """What a worker pushes to `reply_to`: a chunk (`blob`, `meta`), or why there is none (`error`)."""

    index: int
    worker: str
    blob: bytes = b""
    meta: dict[str, Any] | None = None
    error: str | None = None
    refused: bool = False


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> Redis:
    """A checked connection to the Redis at `url` (redis://HOST:PORT/DB)."""
    try:
        from redis import Redis
        from redis.exceptions import RedisError
    except ImportError:
        raise QueueError("rendering through a queue needs the 'queue' extra: pip install 'podrender[queue]'") from None
    try:
        conn = Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        conn.ping()
    except ValueError as exc:
        raise QueueError(f"{shown(url)} is not a Redis URL ({exc}); give redis://HOST:PORT/DB") from None
    except RedisError as exc:
        raise QueueError(f"cannot reach Redis at {shown(url)} ({exc})") from None
    return conn


def check_queue(url: str) -> int:
    """How many podrender workers listen on the queue at `url`; QueueError unless Redis answers there and the
    queue extra is installed (`serve --queue` checks before it listens, rather than failing every render)."""
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    conn = connect(url)
    try:
        return int(Worker.count(queue=Queue(QUEUE_NAME, connection=conn)))
    except RedisError as exc:
        raise QueueError(f"cannot read the workers on Redis at {shown(url)} ({exc})") from None
    finally:
        conn.close()


def expectations(units: Sequence[Unit]) -> dict[str, Expected]:
    """What a worker must run to make these units, per engine."""
    import podrender
    from podrender.audio.encode import encoder_identity
    from podrender.engines import get_engine

    encoder = encoder_identity()
    names = sorted({u.voice.engine for u in units})
    return {n: Expected(podrender.__version__, n, get_engine(n).identity(), encoder) for n in names}


def make_remote(
    url: str,
    units: Sequence[Unit],
    audio: AudioSettings,
    cache: Cache,
    on_done: Callable[[int, dict[str, Any]], None],
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Have workers on the queue at `url` make `units`; store each chunk in `cache` and call `on_done(unit
    index, metadata)` as it arrives. `meanwhile()` runs once the units are enqueued. Raises QueueError naming
    the worker when one refuses or fails a unit; whatever way this ends, no unit of it is left queued."""
    from rq import Queue, Retry

    conn = connect(url)
    render_id = secrets.token_hex(8)
    reply_to = f"podrender:answers:{render_id}"
    waiting = f"podrender:waiting:{render_id}"
    queue = Queue(QUEUE_NAME, connection=conn)
    expected = expectations(units)
    by_index = {u.index: u for u in units}
    tasks = missing_tasks(units)
    labels = {t.id: t.label for t in tasks}
    pending = {t.id: f"podrender-{render_id}-{t.id}" for t in tasks}
    jobs = [
        Queue.prepare_data(
            JOB_FUNCTION,
            args=(UnitOrder(by_index[t.id], audio, t.label, expected[by_index[t.id].voice.engine], reply_to, waiting),),
            timeout=int(t.timeout), result_ttl=0, failure_ttl=REPLY_TTL,
            job_id=pending[t.id], retry=Retry(max=RETRIES), description=t.label,
        )  # fmt: skip
        for t in tasks
    ]
    try:
        try:
            conn.set(waiting, b"1", ex=WAITING_TTL)
            queue.enqueue_many(jobs)
        except Exception as exc:  # noqa: BLE001 - any Redis failure, said in one line
            raise QueueError(f"cannot enqueue on Redis at {shown(url)} ({exc})") from None
        if meanwhile is not None:
            meanwhile()
        _gather(conn, queue, reply_to, waiting, pending, labels, by_index, cache, on_done)
    finally:
        stop_waiting(url, waiting, reply_to, list(pending.values()))


def _gather(
    conn: Redis,
    queue: Any,
    reply_to: str,
    waiting: str,
    pending: dict[int, str],
    labels: dict[int, str],
    by_index: dict[int, Unit],
    cache: Cache,
    on_done: Callable[[int, dict[str, Any]], None],
) -> None:
    """Wait for every pending unit's answer; `pending` shrinks as they arrive."""
    from redis.exceptions import RedisError
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    started = StartedJobRegistry(queue=queue)
    failed = FailedJobRegistry(queue=queue)
    looked = time.monotonic()
    unseen: dict[str, float] = {}  # job id -> since when it is neither queued nor running
    while pending:
        gone: set[str] = set()
        try:
            item = conn.blpop([reply_to], timeout=POLL_SECONDS)
            if item is None or time.monotonic() - looked >= POLL_SECONDS:
                looked = time.monotonic()
                conn.expire(waiting, WAITING_TTL)
                # Units of killed workers whose lease ran out go back on the queue; under the lock RQ's workers
                # take for the same clean-up, so that no unit is put back twice.
                if queue.acquire_maintenance_lock():
                    try:
                        started.cleanup()
                    finally:
                        queue.release_maintenance_lock()
                gone = set(failed.get_job_ids()) & set(pending.values())
                _find_lost(conn, queue, started, pending, unseen)
        except RedisError as exc:
            raise QueueError(f"lost Redis while waiting for workers ({exc})") from None
        if item is not None:
            answer: Answer = pickle.loads(item[1])  # type: ignore[arg-type]
            if answer.index not in pending:
                continue  # answered twice (a lease ran out while its worker still worked): the first is kept
            label = labels[answer.index]
            if answer.error is not None:
                verb = "refused" if answer.refused else "could not make"
                raise QueueError(f"worker {answer.worker} {verb} the {label}: {answer.error}")
            assert answer.meta is not None
            meta = cache.put(by_index[answer.index].key, answer.blob, answer.meta)
            del pending[answer.index]
            on_done(answer.index, meta)
            continue
        for index, job_id in list(pending.items()):
            if job_id in gone:
                raise QueueError(f"the {labels[index]} failed on the queue: {_why_failed(conn, job_id)}")


def _find_lost(conn: Redis, queue: Any, started: Any, pending: dict[int, str], unseen: dict[str, float]) -> None:
    """Enqueue again the pending units that have been neither queued nor running for LOST_SECONDS."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus
    from rq.utils import current_timestamp, parse_composite_key

    queued = {q.decode() if isinstance(q, bytes) else str(q) for q in conn.lrange(queue.key, 0, -1)}
    running = set()
    for entry in conn.zrangebyscore(started.key, current_timestamp(), "+inf"):
        running.add(parse_composite_key(entry.decode() if isinstance(entry, bytes) else str(entry))[0])
    now = time.monotonic()
    for job_id in pending.values():
        if job_id in queued or job_id in running:
            unseen.pop(job_id, None)
        elif now - unseen.setdefault(job_id, now) > LOST_SECONDS:
            unseen.pop(job_id)
            try:
                job = Job.fetch(job_id, connection=conn)
            except NoSuchJobError:
                raise QueueError(f"a unit vanished from Redis ({job_id}); was the queue emptied?") from None
            if job.get_status() in (JobStatus.QUEUED, JobStatus.STARTED):
                queue.enqueue_job(job)


def _why_failed(conn: Redis, job_id: str) -> str:
    """One line on a job RQ gave up on, naming its worker."""
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=conn)
        worker = job.worker_name or "an unknown worker"
        result = job.latest_result()
        text = (result.exc_string if result is not None else None) or ""
    except Exception:  # noqa: BLE001 - the job expired meanwhile
        return "its worker stopped"
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no reason given"
    if "AbandonedJobError" in text or "abandoned" in last.lower():
        return f"worker {worker} stopped while making it, {RETRIES + 1} times; look at the workers' logs"
    return f"worker {worker}: {last}"


def stop_waiting(url: str, waiting: str, reply_to: str, job_ids: Sequence[str]) -> None:
    """Stop taking answers, take these jobs off the queue and stop the ones running, then clear the answers
    that came meanwhile. On a fresh connection: the render's may have been cut mid-reply by Ctrl-C."""
    from redis import Redis
    from rq import Queue
    from rq.command import send_stop_job_command
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        conn = Redis.from_url(url, socket_connect_timeout=5)
        conn.delete(waiting)
        queue_key = Queue(QUEUE_NAME, connection=conn).key
        left = list(job_ids)
        asked: dict[str, float] = {}
        deadline = time.monotonic() + STOP_GRACE
        # Queued jobs go at once; running ones are stopped (RQ's stop-job command) and go once their worker
        # has written them as stopped. Looked at again until none is left: a worker may take one meanwhile.
        while left and time.monotonic() < deadline:
            for job_id, job in zip(list(left), Job.fetch_many(list(left), connection=conn), strict=True):
                try:
                    status = job.get_status(refresh=False) if job is not None else None
                    if job is None:
                        left.remove(job_id)
                    elif status == JobStatus.QUEUED:
                        if conn.lrem(queue_key, 0, job_id):  # off the queue before any worker took it
                            job.delete(remove_from_queue=False)
                            left.remove(job_id)
                        # else a worker has just taken it: it is started (and stopped) on a later look
                    elif status != JobStatus.STARTED:
                        job.delete(remove_from_queue=True)
                        left.remove(job_id)
                    elif job.worker_name and time.monotonic() - asked.get(job_id, 0.0) > 0.3:
                        asked[job_id] = time.monotonic()  # again until it stops: a worker that has just
                        send_stop_job_command(conn, job_id)  # taken the job may not know it as its own yet
                except (InvalidJobOperation, NoSuchJobError):
                    continue  # it finished (and went) meanwhile; the next look sees it gone
            if left:
                time.sleep(0.05)
        for job in Job.fetch_many(left, connection=conn):  # workers that do not answer: their leases run out
            if job is not None:
                try:
                    job.delete(remove_from_queue=True)
                except (InvalidJobOperation, NoSuchJobError):
                    pass
        conn.delete(reply_to)
    except Exception:  # noqa: BLE001, S110 - Redis is gone: its queue went with it
        pass
