"""The worker pool's `meanwhile` hook: the parent's own work overlaps with the workers'."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podrender.pool import Task, run_tasks


def _worker(folder: Path, seconds: float = 0.3) -> Callable[[Task], int]:
    def work(task: Task) -> int:
        (folder / f"started-{task.id}").write_text(str(os.getpid()))
        time.sleep(seconds)
        return task.id * 10

    return work


def test_meanwhile_runs_once_while_the_workers_run(tmp_path: Path) -> None:
    calls: list[float] = []
    done: dict[int, int] = {}

    def meanwhile() -> None:
        # The workers were forked before this runs: wait until one of them has really started.
        deadline = time.monotonic() + 10
        while not list(tmp_path.glob("started-*")):
            assert time.monotonic() < deadline, "no worker started while meanwhile ran"
            time.sleep(0.01)
        assert not done, "meanwhile ran after a result came back"
        calls.append(time.monotonic())

    tasks = [Task(i, f"task {i}", 30.0) for i in range(3)]
    run_tasks(tasks, _worker(tmp_path), lambda t, r: done.update({t.id: r}), jobs=2, meanwhile=meanwhile)
    assert len(calls) == 1
    assert done == {0: 0, 1: 10, 2: 20}


def test_an_error_in_meanwhile_stops_the_workers(tmp_path: Path) -> None:
    def meanwhile() -> None:
        raise RuntimeError("the parent's own work failed")

    tasks = [Task(i, f"task {i}", 30.0) for i in range(2)]
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="own work failed"):
        run_tasks(tasks, _worker(tmp_path, seconds=60), lambda t, r: None, jobs=2, meanwhile=meanwhile)
    assert time.monotonic() - started < 30  # the 60-second workers were killed, not waited for
