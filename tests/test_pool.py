"""The worker pool: results come back per task, and a failure in the parent stops the workers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podrender.runner.pool import Task, run_tasks


def _worker(folder: Path, seconds: float = 0.3) -> Callable[[Task], int]:
    def work(task: Task) -> int:
        (folder / f"started-{task.id}").write_text(str(os.getpid()))
        time.sleep(seconds)
        return task.id * 10

    return work


def test_every_task_reports_its_own_result(tmp_path: Path) -> None:
    done: dict[int, int] = {}
    tasks = [Task(i, f"task {i}", 30.0) for i in range(3)]
    run_tasks(tasks, _worker(tmp_path), lambda t, r: done.update({t.id: r}), jobs=2)
    assert done == {0: 0, 1: 10, 2: 20}
    assert len({(tmp_path / f"started-{i}").read_text() for i in range(3)}) == 3  # a process per task


def test_an_error_in_the_parent_stops_the_workers(tmp_path: Path) -> None:
    def done(task: Task, result: int) -> None:
        raise RuntimeError("the parent's own work failed")

    tasks = [Task(0, "quick", 30.0), Task(1, "slow", 30.0)]

    def work(task: Task) -> int:
        return _worker(tmp_path, seconds=0.1 if task.id == 0 else 60)(task)

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="own work failed"):
        run_tasks(tasks, work, done, jobs=2)
    assert time.monotonic() - started < 30  # the 60-second worker was killed, not waited for
