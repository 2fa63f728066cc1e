"""What who is who (podrender.input.identity) costs: reading a script with `fold_names` on against off.

    /work/main/.venv/bin/python bench/identity.py [--repeats 15] [--script PATH]

Side by side, medians of --repeats runs of `parse_script` (detection, the format's parser, then the folds):
the sample interview, the real transcripts of tests/fixtures/real read one after another, and a made-up
Q&A of 2 MB with 4,000 speakers whose labels are an honorific and a surname and whose answerers introduce
themselves (every rule busy: the worst case a person could paste).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from podrender.config import parse_config
from podrender.input.formats import parse_options, parse_script
from podrender.input.script import ParseOptions

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "real"


def crowded() -> str:
    parts = ["Big Panel\n"]
    for i in range(4000):
        parts.append(f"MR. NAME{i}: Hello, this is John Name{i} from the harbour, with Ann (Bo) Lee.\n")
        parts.append(f"Q: I'm Pieter Olsen with Radio North. Question {i}?\n")
        parts.append("A: Hi, this is Ann Lee. An answer.\n")
    return "\n".join(parts)


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--script", type=Path, default=ROOT.parent / "shared" / "samples" / "interview.txt")
    args = parser.parse_args()
    options = parse_options(parse_config("narrator: Narrator\n", "voices.yaml"))
    real = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(REAL.glob("[0-9]*"))]
    cases: list[tuple[str, list[tuple[str, str]], int]] = []
    if args.script.is_file():
        cases.append((args.script.name, [(args.script.name, args.script.read_text(encoding="utf-8"))], args.repeats))
    cases.append((f"{len(real)} real transcripts", real, args.repeats))
    cases.append(("2 MB, 4,000 speakers", [("crowded.txt", crowded())], max(3, args.repeats // 5)))
    print("| script | folds off (ms) | folds on (ms) | on / off | speakers off → on |")
    print("|---|---:|---:|---:|---|")
    for title, scripts, repeats in cases:
        row = []
        speakers = []
        for fold in (False, True):
            opts: ParseOptions = replace(options, fold_names=fold)

            def run(opts: ParseOptions = opts, scripts: list[tuple[str, str]] = scripts) -> list[int]:
                return [len(parse_script(text, opts, name=name).speakers) for name, text in scripts]

            row.append(median_ms(run, repeats))
            speakers.append(sum(run()))
        print(f"| {title} | {row[0]:.1f} | {row[1]:.1f} | {row[1] / row[0]:.2f} | {speakers[0]} → {speakers[1]} |")


if __name__ == "__main__":
    main()
