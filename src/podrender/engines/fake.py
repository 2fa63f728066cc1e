"""A fast, deterministic stand-in engine for tests: a harmonic buzz per word at the voice's pitch.

It exercises the whole pipeline (levels, encoding, chapters) without speech. The tests' own engine
`faulty` (tests/plugins) adds fault injection on top of it.
"""

from __future__ import annotations

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

        base = PITCHES.get(voice.voice)
        if base is None:
            raise EngineError(f"fake engine has no voice '{voice.voice}'")
        freq = base * 2 ** (((voice.pitch if voice.pitch is not None else 50) - 50) / 100)
        amp = 12000 * (1.0 if voice.volume is None else voice.volume)
        samples = buzz(text.split(), freq, voice.rate or 175, amp, RATE)
        return Pcm(np.round(samples).astype("<i2").tobytes(), RATE)

