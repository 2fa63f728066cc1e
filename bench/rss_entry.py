"""Run a Python entry point in this process and record, at exit, its own peak RSS and the largest
peak RSS among the children it waited for.

    python bench/rss_entry.py OUT.json podrender.cli.main:main render SCRIPT ...
    python bench/rss_entry.py OUT.json bench/naive.py SCRIPT ...

`module:function` is called the way a console script does (`sys.exit(function())`), so
`rss_entry.py OUT podrender.cli.main:main ARGS` is the `podrender ARGS` command plus an exit hook: the
same interpreter start and the same imports. A path ending in .py is run as `__main__`.

At exit, OUT gets `self_maxrss_kb` (`getrusage(RUSAGE_SELF)`: this process alone, i.e. the
podrender parent) and `children_maxrss_kb` (`getrusage(RUSAGE_CHILDREN)`: the largest of its
waited-for descendants, e.g. the biggest worker, which includes the ffmpeg it ran). Forked workers
leave with `os._exit` and do not run the hook. A forked worker's RSS counts the pages it still
shares with the parent.
"""

from __future__ import annotations

import atexit
import importlib
import json
import resource
import runpy
import sys
from pathlib import Path


def _write(out: Path) -> None:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write_text(json.dumps({"self_maxrss_kb": me.ru_maxrss, "children_maxrss_kb": kids.ru_maxrss}))


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, target, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    atexit.register(_write, out)
    if target.endswith(".py"):
        sys.argv = [target, *args]
        sys.path[0] = str(Path(target).resolve().parent)
        runpy.run_path(target, run_name="__main__")
        return
    module, _, function = target.partition(":")
    sys.argv = [module.split(".")[0], *args]
    entry = getattr(importlib.import_module(module), function or "main")
    sys.exit(entry())


if __name__ == "__main__":
    main()
