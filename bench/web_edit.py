"""How long the web page waits for a one-word edit, against a cold render, through the API.

    python bench/web_edit.py [--script PATH] [--repeats N] [--edits N]

For each repeat: a real `podrender serve` (its own process, a fresh chunk cache) renders the
script cold through `POST /api/renders`, then `--edits` times a one-word edit of the longest turn
as the page sends it (`edits: {turn: text}`), each edit a different word so every one is made
afresh. Times are the client's wall time from the POST to the status `done` (polled every 20 ms),
so they include the request check, the render process's start-up and the episode's assembly.
Default script: the shared sample interview (../shared/samples/interview.txt), else
examples/welcome.txt. Prints the medians side by side and the units each edit made.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "interview.txt"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(base: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def _render(base: str, body: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    job = _call(base, "/api/renders", body)
    while job["status"] not in ("done", "failed"):
        time.sleep(0.02)
        job = _call(base, f"/api/renders/{job['id']}")
    took = time.perf_counter() - start
    if job["status"] != "done":
        raise SystemExit(f"the render failed: {job['error']}")
    return took, job


def _one_word_edit(text: str, n: int) -> str:
    """`text` with one word near its middle (the n-th after it) replaced by another of the same length."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 4]
    i = candidates[(len(candidates) // 2 + n) % len(candidates)]
    word = words[i]
    words[i] = word[::-1] if word[::-1].lower() != word.lower() else word[1:] + word[0]
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--script", type=Path, default=SAMPLE if SAMPLE.is_file() else ROOT / "examples/welcome.txt")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--edits", type=int, default=3, help="one-word edits after each cold render")
    args = parser.parse_args()
    script = args.script.read_text(encoding="utf-8")
    cold: list[float] = []
    edits: list[float] = []
    made: list[int] = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="podrender-bench-web-") as scratch:
            port = _free_port()
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
            server = subprocess.Popen(
                [sys.executable, "-m", "podrender", "serve", "--port", str(port), "--output-dir",
                 f"{scratch}/out", "--cache-dir", f"{scratch}/cache"],
                cwd=scratch, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            try:
                for _ in range(300):
                    try:
                        _call(base, "/api/defaults")
                        break
                    except OSError:
                        time.sleep(0.1)
                sheet = _call(base, "/api/inspect", {"script": script})
                longest = max(sheet["turns"], key=lambda t: len(t["text"]))
                took, job = _render(base, {"script": script})
                cold.append(took)
                print(f"repeat {repeat + 1}: cold {took:.2f} s ({job['units']['made']} units)", flush=True)
                for n in range(args.edits):
                    edited = {str(longest["index"]): _one_word_edit(longest["text"], n + repeat * args.edits)}
                    took, job = _render(base, {"script": script, "edits": edited})
                    edits.append(took)
                    made.append(job["units"]["made"])
                    units = job["units"]
                    print(f"  edit {n + 1}: {took:.2f} s ({units['made']} made, {units['reused']} reused)")
            finally:
                server.terminate()
                server.wait(15)
    cold_median, edit_median = statistics.median(cold), statistics.median(edits)
    print()
    print(f"script: {args.script} ({len(sheet['turns'])} turns); {os.cpu_count()} cores")
    print("| case | runs | median | ratio |")
    print("|---|---|---|---|")
    print(f"| cold render through the API | {len(cold)} | {cold_median:.2f} s | 1.00 |")
    print(f"| one-word edit, re-render | {len(edits)} | {edit_median:.2f} s | {edit_median / cold_median:.2f} |")
    print(f"units made per edit: {sorted(set(made))}")


if __name__ == "__main__":
    main()
