"""Measure the median pitch of espeak-ng variants at several pitch settings, and compare with casting's prediction.

    python bench/voice_pitch.py [--variants f1,f2,...] [--settings 15,35,50,65,80,95] [--voice gmw/en-us]

Each (variant, setting) speaks four sentences, each in a fresh worker process (as a render does);
the median pitch of each is measured (bench/pitch.py, the rule of tests/conftest.py) and averaged.
The output is the MEASURED_HZ table of src/podrender/engines/pyttsx3_engine.py, followed by each
row's worst difference from what podrender.speech.distinct predicts now. Takes about a minute.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pitch import median_pitch  # noqa: E402

from podrender.engines import VoiceSettings, get_engine  # noqa: E402
from podrender.pipeline import load_catalog  # noqa: E402
from podrender.runner.pool import call_in_child  # noqa: E402

SENTENCES = (
    "Good evening. Did the lamp keep turning all night? The gears complained a little, but the light never stopped.",
    "The boats are late again this morning. The wind turned in the night and the sea is rough.",
    "I have a few words to say about the lighthouse, the weather and the long winter ahead.",
    "Unless the fog comes down over the harbour wall, we will see them soon. Then we wait here with the tea.",
)
VARIANTS = "f1,f2,f3,f4,f5,m1,m2,m3,m4,m5,m6,m7,m8"
SETTINGS = "15,35,50,65,80,95"


def spoken_pitch(voice: VoiceSettings, text: str) -> float:
    engine = get_engine(voice.engine)

    def work() -> float:
        with tempfile.TemporaryDirectory() as folder:
            pcm = engine.synthesize(text, voice, Path(folder))
        return median_pitch(np.frombuffer(pcm.samples, "<i2").astype(np.float64) / 32768.0, pcm.rate)

    return call_in_child(work, timeout=60.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default=VARIANTS, help=f"comma-separated (default {VARIANTS})")
    parser.add_argument("--settings", default=SETTINGS, help=f"pitch settings 0-100 (default {SETTINGS})")
    parser.add_argument("--voice", default="gmw/en-us", help="base voice (default gmw/en-us)")
    parser.add_argument("--rate", type=int, default=170, help="words per minute (default 170)")
    args = parser.parse_args(argv)
    engine = get_engine("pyttsx3")
    engine.preload()
    catalog = load_catalog(engine)
    settings = [int(s) for s in args.settings.split(",")]
    print(f"MEASURED_SETTINGS = {tuple(settings)}")
    print("MEASURED_HZ = {")
    worst: dict[str, float] = {}
    for variant in args.variants.split(","):
        row = []
        for setting in settings:
            voice = VoiceSettings("pyttsx3", f"{args.voice}+{variant}", args.rate, setting)
            hz = float(np.mean([spoken_pitch(voice, text) for text in SENTENCES]))
            row.append(round(hz))
            predicted = catalog.expected_pitch(voice)
            if predicted:
                worst[variant] = max(worst.get(variant, 0.0), abs(predicted / hz - 1))
        print(f'    "{variant}": {tuple(row)},', flush=True)
    print("}")
    for variant, error in worst.items():
        print(f"# {variant}: predicted now within {error:.1%} of measured", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
