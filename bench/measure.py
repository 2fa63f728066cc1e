"""Run one command and report its wall time and memory, as JSON.

    python bench/measure.py --json OUT.json [--log LOG] [--interval S] -- COMMAND [ARGS...]

This wrapper is started afresh for every measured run, because a process's
`getrusage(RUSAGE_CHILDREN).ru_maxrss` only ever grows: in a fresh wrapper it is exactly the
largest peak RSS of any single process in the command's tree that was waited for (the command
itself, the worker processes it forked and joined, the ffmpeg processes those ran). It is a
per-process maximum, not the sum over processes running at the same time; for that the wrapper
also samples the tree every `--interval` seconds and records the largest sum of PSS (proportional
set size: pages shared between a parent and its forked workers are split between them, not
counted twice) and of RSS it saw. Sampling can miss short peaks.

Wall time is measured here, from just before the command is spawned to its exit; starting this
wrapper is not included. The machine's busy CPU time over the same interval (from /proc/stat) is
recorded too: what exceeds the command's own CPU time was used by other processes, a measure of
how noisy the shared machine was during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _tree(root: int) -> list[int]:
    """`root` and all its live descendants (via /proc/PID/task/TID/children)."""
    out: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
            except OSError:
                continue
            stack.extend(int(x) for x in text.split())
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB; zeros if it is gone or a zombie."""
    pss = rss = 0
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
        elif line.startswith("Rss:"):
            rss = int(line.split()[1])
    return pss, rss


class TreeSampler(threading.Thread):
    """Polls the process tree under `root` and keeps the largest PSS and RSS sums seen."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.pss_peak_kb = 0
        self.rss_peak_kb = 0
        self.processes_peak = 0
        self.samples = 0

    def run(self) -> None:
        while not self.stop.is_set():
            pids = _tree(self.root)
            pss = rss = 0
            for pid in pids:
                p, r = _memory_kb(pid)
                pss += p
                rss += r
            self.pss_peak_kb = max(self.pss_peak_kb, pss)
            self.rss_peak_kb = max(self.rss_peak_kb, rss)
            self.processes_peak = max(self.processes_peak, len(pids))
            self.samples += 1
            self.stop.wait(self.interval)


def machine_busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (user, nice, system, irq, softirq)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def measure(command: list[str], log: Path | None, interval: float) -> dict[str, Any]:
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        busy_before = machine_busy_s()
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        busy = machine_busy_s() - busy_before
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
    finally:
        if log and not isinstance(out, int):
            out.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "command": command,
        "exit_code": proc.returncode,
        "wall_s": wall,
        # ru_maxrss is in kilobytes on Linux.
        "max_single_process_rss_kb": children.ru_maxrss,
        "wait4_maxrss_kb": usage.ru_maxrss,
        "cpu_user_s": children.ru_utime,
        "cpu_system_s": children.ru_stime,
        "machine_busy_cpu_s": busy,
        "cores": os.cpu_count() or 1,
        "sampled_tree_pss_peak_kb": sampler.pss_peak_kb,
        "sampled_tree_rss_peak_kb": sampler.rss_peak_kb,
        "sampled_processes_peak": sampler.processes_peak,
        "samples": sampler.samples,
        "sample_interval_s": interval,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, required=True, help="where to write the measurement")
    parser.add_argument("--log", type=Path, help="file for the command's stdout and stderr")
    parser.add_argument("--interval", type=float, default=0.2, help="tree sampling interval in seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    result = measure(command, args.log, args.interval)
    args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
