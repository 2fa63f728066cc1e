"""Parse time of the real transcripts (tests/fixtures/real), by format: the median of repeated passes.

    python bench/parse_real.py                          # this tree
    python bench/parse_real.py --against ../main/src    # and another tree side by side, with the ratio

Parsing is pure (no I/O), so the numbers are the parser's own work: detection, the format's rules and
the page-chrome recogniser.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "real"


def measure(passes: int) -> dict[str, float]:
    """Median milliseconds per pass over the fixtures of each detected format, and over all."""
    from podrender.config import parse_config
    from podrender.input.formats import parse_options, parse_script

    options = parse_options(parse_config(""))
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(REAL.iterdir()) if p.suffix in (".md", ".txt")]
    groups: dict[str, list[tuple[str, str]]] = {"all": texts}
    for name, text in texts:
        groups.setdefault(parse_script(text, options, name=name).input_format, []).append((name, text))
    result = {}
    for group, items in groups.items():
        runs = []
        for _ in range(passes):
            start = time.perf_counter()
            for name, text in items:
                parse_script(text, options, name=name)
            runs.append(time.perf_counter() - start)
        result[f"{group} ({len(items)})"] = statistics.median(runs) * 1000
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=30)
    parser.add_argument("--against", type=Path, help="another tree's src folder, measured in a child process")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    ours = measure(args.passes)
    if args.json:
        print(json.dumps(ours))
        return
    theirs: dict[str, float] = {}
    if args.against:
        env = {**os.environ, "PYTHONPATH": str(args.against.resolve())}
        out = subprocess.run([sys.executable, __file__, "--json", "--passes", str(args.passes)], env=env,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        theirs = json.loads(out)
    print(f"{'fixtures':<18} {'this tree ms':>13} {'other ms':>9} {'ratio':>6}")
    for group, ms in ours.items():
        other = theirs.get(group)
        extra = f"{other:>9.1f} {ms / other:>6.2f}" if other else ""
        print(f"{group:<18} {ms:>13.1f} {extra}")


if __name__ == "__main__":
    main()
