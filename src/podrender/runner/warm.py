"""What render() does for speed around planning: the garbage collector back on once start-up is over
(launch.main turns it off), and the writers' imports loaded while the workers speak."""

from __future__ import annotations

import gc


def collect_again() -> None:
    """Turn the cyclic garbage collector back on if start-up turned it off (podrender.runner.launch), leaving out of
    its reach what start-up and planning made: modules, the plan, nothing that is garbage."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def load_writers() -> None:
    """Import what writing the episode needs (mutagen among it), while the workers speak."""
    import importlib

    for module in ("assemble", "export", "manifest"):
        importlib.import_module(f"podrender.output.{module}")
