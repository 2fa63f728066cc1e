"""Rendering through the queue: measured throughput of 1 vs 2 workers here, and a simulation of K workers.

    python bench/queue_scale.py [--script PATH] [--voices PATH] [--repeats N] [--units N] [--out FILE]

Run from the repository root with the project's virtualenv Python; needs Debian's redis-server and the
queue extra. It starts its own redis-server on a free port (no persistence) in a scratch folder.

Measured (each repeat interleaves the cases, every render cold: fresh render and worker caches):
- `podrender render SCRIPT` (the local pool) and `podrender render SCRIPT --queue URL` with 1 and 2
  `podrender worker`s (started before the clock runs): wall time, median of the repeats;
- the same render with every chunk cached (`--queue`): the render's own fixed cost (start, plan, assemble);
- each unit's time in a worker, as RQ logs it ("job in ..."), with 1 worker: the per-unit times;
- Redis round trips: PING, and one chunk-sized answer pushed and popped (what each unit adds on the render);
- the queue's overhead per unit: (1-worker wall - fixed cost - sum of unit times) / units.

Simulated: `--units` units (default: a 3-hour book's worth at the script's units per minute) with times
drawn from the measured ones (seeded), K = 1..50 workers taking them longest first, each unit costing its
time plus the measured overhead on a worker, and the render taking answers one at a time at the measured
per-answer cost; render time = fixed cost + when the last answer is taken. Where the curve flattens, the
render's serial work (answers, assembly) or the longest unit is the limit, not the workers.
"""

from __future__ import annotations

import argparse
import heapq
import os
import pickle
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "samples" / "interview.txt"
PYTHON = sys.executable
#: Kokoro's real-time factor on this machine kind (the sample read turn by turn: 319 s for 12:03 of audio).
NEURAL_RTF = 0.44
JOB_TIME = re.compile(r"job in (\d+):(\d+):(\d+(?:\.\d+)?)s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def podrender(*args: str) -> float:
    """Wall seconds of one `podrender` command (which must succeed)."""
    start = time.perf_counter()
    proc = subprocess.run([PYTHON, "-m", "podrender", *args], capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"podrender {' '.join(args)} failed:\n{proc.stderr}")
    return took


class Workers:
    def __init__(self, url: str, folder: Path, count: int) -> None:
        from redis import Redis
        from rq import Worker

        self.logs = [folder / f"worker-{i}.log" for i in range(count)]
        self.procs = []
        for i, log in enumerate(self.logs):
            self.procs.append(subprocess.Popen(
                [PYTHON, "-m", "podrender", "worker", "--queue", url, "--cache-dir", str(folder / f"wcache-{i}"),
                 "--name", f"{folder.name}-{i}"],
                stdout=log.open("wb"), stderr=subprocess.STDOUT,
            ))  # fmt: skip
        conn = Redis.from_url(url)
        names = {f"{folder.name}-{i}" for i in range(count)}
        deadline = time.monotonic() + 30
        while not names <= {w.name for w in Worker.all(connection=conn)}:
            if time.monotonic() > deadline:
                raise SystemExit("workers did not start: " + " ".join(log.read_text() for log in self.logs))
            time.sleep(0.05)

    def unit_times(self) -> list[float]:
        out = []
        for log in self.logs:
            for h, m, s in JOB_TIME.findall(log.read_text(errors="replace")):
                out.append(int(h) * 3600 + int(m) * 60 + float(s))
        return out

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(30)


def round_trips(url: str, blob: bytes, n: int = 500) -> tuple[float, float]:
    """Median seconds of a PING, and of pushing one chunk-sized answer and popping it."""
    from redis import Redis

    conn = Redis.from_url(url)
    pings, moves = [], []
    data = pickle.dumps(blob)
    for _ in range(n):
        t = time.perf_counter()
        conn.ping()
        pings.append(time.perf_counter() - t)
        t = time.perf_counter()
        conn.rpush("bench:answers", data)
        conn.blpop(["bench:answers"], timeout=1)
        moves.append(time.perf_counter() - t)
    return statistics.median(pings), statistics.median(moves)


def store_cost(blob: bytes, folder: Path, n: int = 200) -> float:
    """Median seconds the render spends storing one answer's chunk in its cache (unpickle + Cache.put)."""
    sys.path.insert(0, str(ROOT / "src"))
    from podrender.cache import Cache

    cache = Cache(folder / "store")
    cache.ensure()
    data = pickle.dumps((blob, {"frames": 1}))
    times = []
    for i in range(n):
        t = time.perf_counter()
        chunk, meta = pickle.loads(data)
        cache.put(f"{i:064x}", chunk, meta)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def simulate(times: list[float], workers: int, overhead: float, per_answer: float, fixed: float) -> float:
    """Render seconds with `workers` workers: units longest first to the worker free soonest, answers taken
    one at a time by the render in the order they arrive."""
    free = [0.0] * workers
    heapq.heapify(free)
    arrivals = []
    for t in sorted(times, reverse=True):
        start = heapq.heappop(free)
        end = start + t + overhead
        heapq.heappush(free, end)
        arrivals.append(end)
    taken = 0.0
    for arrival in sorted(arrivals):
        taken = max(taken, arrival) + per_answer
    return fixed + taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--script", type=Path, default=SAMPLE if SAMPLE.is_file() else ROOT / "examples/welcome.txt")
    parser.add_argument("--voices", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--units", type=int, default=None, help="units in the simulated render")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/queue.md")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("needs Debian's redis-server (apt-get install redis-server)")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    scratch = Path(tempfile.mkdtemp(prefix="podrender-queue-bench-"))
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(scratch)], stdout=subprocess.DEVNULL)  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    time.sleep(0.3)
    voices = ["--voices", str(args.voices)] if args.voices else []
    try:
        walls: dict[str, list[float]] = {"local pool": [], "1 worker": [], "2 workers": [], "all cached": []}
        unit_times: list[float] = []
        units = 0
        for r in range(-1, args.repeats):  # repeat -1: a warm-up, not counted
            for case in ("local pool", "1 worker", "2 workers"):
                run = scratch / f"r{r}-{case.replace(' ', '-')}"
                run.mkdir()
                target = ["render", str(args.script), *voices, "-o", str(run / "e.mp3"), "--cache-dir",
                          str(run / "cache"), "-q", "--sidecars", "none"]  # fmt: skip
                if case == "local pool":
                    took = podrender(*target)
                else:
                    workers = Workers(url, run, 1 if case == "1 worker" else 2)
                    try:
                        took = podrender(*target, "--queue", url)
                        if case == "1 worker" and r >= 0:
                            measured = workers.unit_times()
                            unit_times += measured
                            units = len(measured)
                            walls["all cached"].append(podrender(*target, "--queue", url, "--force"))
                    finally:
                        workers.stop()
                if r >= 0:
                    walls[case].append(took)
        chunks = sorted((scratch / "r0-1-worker" / "cache" / "chunks").rglob("*.mp3"), key=lambda p: p.stat().st_size)
        chunk = chunks[len(chunks) // 2].read_bytes()  # the median-sized chunk
        ping, move = round_trips(url, chunk)
        store = store_cost(chunk, scratch)
    finally:
        redis.terminate()
        redis.wait(10)
    med = {k: statistics.median(v) for k, v in walls.items()}
    per_run = [unit_times[i * units : (i + 1) * units] for i in range(args.repeats)]
    unit_sum = statistics.median(sum(run) for run in per_run)
    overhead = max(0.0, (med["1 worker"] - med["all cached"] - unit_sum) / units)
    per_answer = move + store
    minutes = None
    lines = [
        "# Queue scaling (bench/queue_scale.py)",
        "",
        f"`{' '.join([Path(PYTHON).name, 'bench/queue_scale.py', *sys.argv[1:]])}` on {os.cpu_count()} cores; "
        f"script {args.script.name}, {units} units, median of {args.repeats} cold renders each.",
        "",
        "| case | wall s | vs local pool |",
        "| --- | ---: | ---: |",
    ]
    for case in ("local pool", "1 worker", "2 workers", "all cached"):
        lines.append(f"| {case} | {med[case]:.2f} | {med[case] / med['local pool']:.2f}x |")
    lines += [
        "",
        f"- 2 workers vs 1: {med['1 worker'] / med['2 workers']:.2f}x the throughput",
        f"- unit time in a worker: median {statistics.median(unit_times) * 1000:.1f} ms, "
        f"max {max(unit_times) * 1000:.1f} ms, sum {unit_sum:.2f} s per render",
        f"- Redis PING {ping * 1e6:.0f} µs; one answer ({len(chunk)} bytes) pushed and popped {move * 1e6:.0f} µs; "
        f"stored in the render's cache {store * 1e6:.0f} µs",
        f"- queue overhead per unit (fork, dequeue, answer, RQ's bookkeeping): {overhead * 1000:.1f} ms",
        f"- fixed cost (start, plan, assemble; every chunk cached): {med['all cached']:.2f} s",
    ]
    from mutagen.mp3 import MP3

    minutes = MP3(scratch / "r0-1-worker" / "e.mp3").info.length / 60
    sim_units = args.units or round(units / minutes * 180)
    rng = random.Random(15)
    drawn = [rng.choice(unit_times) for _ in range(sim_units)]
    fixed = med["all cached"] * sim_units / units  # planning and assembly grow with the episode
    # The same units at a neural engine's speed: Kokoro's measured real-time factor (NEURAL_RTF).
    slow = NEURAL_RTF * minutes * 60 / unit_sum
    lines += [
        "",
        f"Simulated: {sim_units} units (a {sim_units / units * minutes / 60:.1f}-hour book at the script's units "
        f"per minute; unit times drawn from the {len(unit_times)} measured, seeded), fixed cost {fixed:.1f} s "
        f"(the all-cached render, scaled by units), {overhead * 1000:.1f} ms overhead per unit on a worker, "
        f"{per_answer * 1000:.2f} ms per answer on the render. Kokoro: the same units {slow:.0f}x slower "
        f"(real-time factor {NEURAL_RTF} on 2 cores, as measured for the sample).",
        "",
        "| workers | espeak-ng render s | speed-up | efficiency | Kokoro render s | speed-up | efficiency |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    neural = [t * slow for t in drawn]
    one = simulate(drawn, 1, overhead, per_answer, fixed)
    one_n = simulate(neural, 1, overhead, per_answer, fixed)
    for k in (1, 2, 4, 8, 12, 16, 24, 32, 40, 50):
        t = simulate(drawn, k, overhead, per_answer, fixed)
        n = simulate(neural, k, overhead, per_answer, fixed)
        lines.append(f"| {k} | {t:.1f} | {one / t:.2f}x | {one / t / k:.0%} | {n:.0f} | {one_n / n:.2f}x | "
                     f"{one_n / n / k:.0%} |")  # fmt: skip
    bound = fixed + sim_units * per_answer
    work = (statistics.median(unit_times) + overhead) * 1000
    lines += ["", f"Floor with unlimited workers: fixed cost + answers taken one by one = {bound:.1f} s "
              f"(espeak-ng work per unit {work:.1f} ms on a worker; the longest Kokoro unit "
              f"{max(neural) + overhead:.1f} s)."]  # fmt: skip
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
