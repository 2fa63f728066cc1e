"""A fast, deterministic stand-in engine for tests: a harmonic buzz per word at the voice's pitch.

It exercises the whole pipeline (levels, encoding, chapters) without speech. Fault injection for
tests: PODRENDER_FAKE_FAULT=hang|crash|silence|empty applies to texts containing
PODRENDER_FAKE_FAULT_WORD (to every text when that is unset).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from podrender.audio.reference import buzz
from podrender.engines import Engine, Pcm, PitchProfile, VoiceInfo, VoiceSettings
from podrender.errors import EngineError

RATE = 22050
PITCHES = {"fake/low": 110.0, "fake/mid": 150.0, "fake/high": 220.0, "fake/bright": 300.0}
GENDERS = {"fake/low": "Male", "fake/mid": "Male", "fake/high": "Female", "fake/bright": "Female"}


class FakeEngine(Engine):
    name = "fake"
    max_chars = 1500

    def identity(self) -> str:
        return "fake-1"

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(v, v.split("/")[1].title(), ("en",), GENDERS[v]) for v in PITCHES]

    def pitch_profiles(self) -> dict[str, PitchProfile]:
        # Exact: synthesize below plays a tone at PITCHES[voice], an octave per 100 pitch steps.
        return {v: PitchProfile(base_hz=hz, gender=GENDERS[v], steps_per_octave=100.0) for v, hz in PITCHES.items()}

    def synthesize(self, text: str, voice: VoiceSettings, workdir: Path) -> Pcm:
        import numpy as np  # imported here: registering the engine must not cost numpy's import

        _maybe_fault(text)
        if os.environ.get("PODRENDER_FAKE_FAULT") == "empty" and _applies(text):
            return Pcm(b"", RATE)
        base = PITCHES.get(voice.voice)
        if base is None:
            raise EngineError(f"fake engine has no voice '{voice.voice}'")
        freq = base * 2 ** (((voice.pitch if voice.pitch is not None else 50) - 50) / 100)
        amp = 12000 * (1.0 if voice.volume is None else voice.volume)
        samples = buzz(text.split(), freq, voice.rate or 175, amp, RATE)
        if os.environ.get("PODRENDER_FAKE_FAULT") == "silence" and _applies(text):
            samples = np.zeros(len(samples))
        return Pcm(np.round(samples).astype("<i2").tobytes(), RATE)


def _applies(text: str) -> bool:
    word = os.environ.get("PODRENDER_FAKE_FAULT_WORD")
    return word is None or word in text


def _maybe_fault(text: str) -> None:
    fault = os.environ.get("PODRENDER_FAKE_FAULT")
    if not fault or not _applies(text):
        return
    if fault == "hang":
        time.sleep(3600)
    elif fault == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
