"""A test-only engine, `faulty`: the fake engine, with faults injected on request.

Installed for the tests by tests/conftest.py (this folder on sys.path and PYTHONPATH, so that worker
processes, spawned web renders and `podrender` subprocesses find it too) and found by podrender through
its entry point, as any engine a package adds. PODRENDER_FAKE_FAULT=hang|crash|silence|empty applies to
texts containing PODRENDER_FAKE_FAULT_WORD (to every text when that is unset)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from podrender.engines import Pcm, VoiceSettings
from podrender.engines.fake import RATE, FakeEngine


class FaultyEngine(FakeEngine):
    name = "faulty"

    def identity(self) -> str:
        return "faulty-1"  # its chunks are never mistaken for the fake engine's

    def synthesize(self, text: str, voice: VoiceSettings, workdir: Path) -> Pcm:
        fault = os.environ.get("PODRENDER_FAKE_FAULT") if _applies(text) else None
        if fault == "hang":
            time.sleep(3600)
        elif fault == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        elif fault == "empty":
            return Pcm(b"", RATE)
        pcm = super().synthesize(text, voice, workdir)
        if fault == "silence":
            return Pcm(bytes(len(pcm.samples)), pcm.rate)
        return pcm


def _applies(text: str) -> bool:
    word = os.environ.get("PODRENDER_FAKE_FAULT_WORD")
    return word is None or word in text
