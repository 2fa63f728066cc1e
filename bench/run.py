"""podrender's performance benchmark: naive peer, limit, cold render, one-word edit, long script.

    python bench/run.py [--script PATH] [--voices PATH] [--repeats N] [--hours H] [--out FILE] [--skip-long]

Run from the repository root with the project's virtualenv Python. Every case runs as its own
process under bench/measure.py (wall time, peak RSS) and bench/rss_entry.py (the top process's own
peak RSS); see bench/README.md for what each case does and what the numbers mean.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from podrender.config import Config, load_config
from podrender.input.script import ParseOptions, Script, match_label, parse
from podrender.input.source import read_script

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
PODRENDER = "podrender.runner.launch:main"

#: Same-length replacements, so a long turn is cut into the same pieces before and after the edit.
REPLACEMENTS: dict[int, tuple[str, str]] = {
    5: ("quick", "brave"),
    6: ("simple", "bright"),
    7: ("careful", "curious"),
    8: ("complete", "generous"),
    9: ("wonderful", "practical"),
    10: ("remarkable", "impressive"),
    11: ("interesting", "outstanding"),
    12: ("particularly", "surprisingly"),
}
_PLAIN_WORD = re.compile(r"(?<![\w@/.:'’-])([a-z]{5,12})(?![\w@/:'’-]|\.\w)")


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- measurements


@dataclass
class Measured:
    """One measured run of one case."""

    wall_s: float
    cpu_s: float
    """User + system CPU time of the whole process tree."""
    max_rss_kb: int
    """Largest peak RSS of any single process in the tree (RUSAGE_CHILDREN of a fresh wrapper)."""
    parent_rss_kb: int | None
    """Peak RSS of the top process alone (podrender's parent, naive.py, limit.py)."""
    child_rss_kb: int | None
    """Largest peak RSS among the top process's waited-for children (workers, ffmpeg)."""
    tree_pss_kb: int
    """Largest sum of PSS over the live tree, sampled."""
    other_load: float
    """CPU time other processes used during the run, as a share of wall time x cores."""
    audio_s: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


class Runner:
    """Runs commands under measure.py + rss_entry.py, keeping every file in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.examples: dict[str, list[str]] = {}

    def run(self, label: str, target: str, args: Sequence[str | Path]) -> Measured:
        self.count += 1
        stem = self.folder / f"{self.count:03d}-{label}"
        measured_json, rss_json, log_file = (stem.with_suffix(s) for s in (".measure.json", ".rss.json", ".log"))
        command = [PYTHON, str(BENCH / "rss_entry.py"), str(rss_json), target, *map(str, args)]
        self.examples.setdefault(label, command)
        wrapper = [PYTHON, str(BENCH / "measure.py"), "--json", str(measured_json), "--log", str(log_file), "--"]
        subprocess.run([*wrapper, *command], check=True)
        m = json.loads(measured_json.read_text())
        if m["exit_code"] != 0:
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
            raise BenchError(f"{label} failed with exit code {m['exit_code']}:\n{tail}")
        r = json.loads(rss_json.read_text()) if rss_json.exists() else {}
        cpu = m["cpu_user_s"] + m["cpu_system_s"]
        return Measured(
            wall_s=m["wall_s"],
            cpu_s=cpu,
            max_rss_kb=m["max_single_process_rss_kb"],
            parent_rss_kb=r.get("self_maxrss_kb"),
            child_rss_kb=r.get("children_maxrss_kb"),
            tree_pss_kb=m["sampled_tree_pss_peak_kb"],
            other_load=max(0.0, m["machine_busy_cpu_s"] - cpu) / (m["wall_s"] * m["cores"]),
        )


def audio_seconds(mp3: Path) -> float:
    from mutagen.mp3 import MP3

    info = MP3(str(mp3)).info
    if info is None:
        raise BenchError(f"{mp3} is not an MP3 file mutagen can read")
    return float(info.length)


def manifest_cache(mp3: Path) -> dict[str, int]:
    """How many turns the render took from the cache ('hit'), made ('miss') or partly made."""
    manifest = json.loads(mp3.with_suffix(".json").read_text())
    counts: dict[str, int] = {"hit": 0, "miss": 0, "partial": 0}
    for turn in manifest["turns"]:
        counts[turn["cache"]] = counts.get(turn["cache"], 0) + 1
    counts["duration_ms"] = int(manifest["duration_ms"])
    return counts


def render_args(script: Path, voices: Path, cache: Path, out: Path) -> list[str | Path]:
    return ["render", script, "--voices", voices, "--cache-dir", cache, "-o", out, "-q"]


# --------------------------------------------------------------------------- inputs


def parse_script(text: str, config: Config) -> Script:
    return parse(text, ParseOptions(aliases=config.aliases(), skip=config.skip))


def edit_one_word(text: str, config: Config) -> tuple[str, str]:
    """Change one plain word near the middle of the longest answer (the longest non-host turn;
    of several about as long, the one nearest the middle of the script)."""
    script = parse_script(text, config)
    host = config.host or (script.speakers[0] if script.speakers else None)
    answers = [t for t in script.turns if t.speaker is not None and t.speaker != host]
    answers = answers or [t for t in script.turns if not t.is_title]
    longest = max(len(t.text) for t in answers)
    middle = len(script.turns) / 2
    turn = min((t for t in answers if len(t.text) >= 0.95 * longest), key=lambda t: abs(t.index - middle))
    lines = text.split("\n")
    later = [t.line for t in script.turns if t.line > turn.line]
    end = min(later) - 1 if later else len(lines)
    found = [(i, m) for i in range(turn.line - 1, end) for m in _PLAIN_WORD.finditer(lines[i])]
    if not found:
        raise BenchError(f"no plain word to edit in the turn at line {turn.line}")
    i, m = found[len(found) // 2]
    old = m.group(1)
    new = next(w for w in REPLACEMENTS[len(old)] if w != old)
    lines[i] = lines[i][: m.start(1)] + new + lines[i][m.end(1) :]
    note = f"line {i + 1}: '{old}' -> '{new}' (word {len(found) // 2 + 1} of {len(found)}) in {turn.speaker}'s "
    note += f"turn at line {turn.line} ({len(turn.text)} characters)"
    return "\n".join(lines), note


def long_script(text: str, repetitions: int, config: Config) -> str:
    """The sample's body `repetitions` times under its title.

    Narration paragraphs (before the first and after the last labeled block) get the narrator's
    label so they stay narration once more turns follow, except the opening ones of the first copy,
    which are narration anyway (so the first labeled speaker, the host that chapters follow, stays
    the same). From the second copy on, every sentence gets ' (N)' before its final mark, so no
    unit repeats an earlier one (the cache would otherwise dedupe them). Lines the parser skips
    (skip rules, a paragraph repeating the title) are copied unchanged, so they stay skipped."""
    known = {k.casefold(): v for k, v in config.aliases().items()}
    script = parse_script(text, config)
    lines = text.rstrip("\n").split("\n")
    title_index = next((t.line - 1 for t in script.turns if t.is_title), None)
    body = [(i, line) for i, line in enumerate(lines) if i != title_index]

    blocks: list[list[int]] = []
    for i, line in body:
        if not line.strip():
            if blocks and blocks[-1]:
                blocks.append([])
            continue
        if not blocks:
            blocks.append([])
        blocks[-1].append(i)
    blocks = [b for b in blocks if b]

    def squash(value: str) -> str:
        return " ".join(value.split()).casefold()

    title_blocks = {
        i for b in blocks if script.title and squash(" ".join(lines[i] for i in b)) == squash(script.title) for i in b
    }

    def skipped(i: int) -> bool:
        return i in title_blocks or any(p.search(lines[i].strip()) for p in config.skip)

    def labeled(block: list[int]) -> bool:
        return any(match_label(lines[i].strip().replace("\u00a0", " "), known) for i in block)

    label_blocks = [n for n, b in enumerate(blocks) if labeled(b)]
    first, last = (label_blocks[0], label_blocks[-1]) if label_blocks else (len(blocks), -1)
    narration = {
        next(i for i in b if not skipped(i))
        for n, b in enumerate(blocks)
        if (n < first or n > last) and not labeled(b) and any(not skipped(i) for i in b)
    }

    copies: list[str] = []
    for n in range(1, repetitions + 1):
        out: list[str] = []
        for block in blocks:
            for i in block:
                line = lines[i].strip()
                if not skipped(i):
                    if i in narration and (n > 1 or i > blocks[first][0]):
                        line = f"{config.narrator}: {line}"
                    if n > 1:
                        # Every sentence carries the copy number before its final mark, so no unit
                        # (turns are cut into units of a few sentences) repeats an earlier one, and
                        # the host's questions still end in '?' and open chapters as in the sample.
                        line = re.sub(r"([.!?])(?=[\"'”’)\]]*(?:\s|$))", rf" ({n})\1", line)
                out.append(line)
            out.append("")
        copies.append("\n".join(out))
    head = f"{lines[title_index]}\n\n" if title_index is not None else ""
    return head + "\n".join(copies)


def plan_keys(text: str, config: Config, source: Path) -> list[str]:
    from podrender.pipeline import prepare

    return [u.key for u in prepare(text, config, source=str(source)).plan.units]


# --------------------------------------------------------------------------- machine


def machine_description(voices: Path) -> list[tuple[str, str]]:
    from importlib.metadata import version

    from podrender.engines import get_engine
    from podrender.engines.pyttsx3_engine import espeak_version
    from podrender.runner.pool import call_in_child
    from podrender.runtime import espeak_library, ffmpeg

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    ff = ffmpeg()
    proc = subprocess.run([ff.path, "-hide_banner", "-version"], capture_output=True, text=True, check=False)
    ff_version = proc.stdout.split("\n", 1)[0] if proc.stdout else "unknown"
    lib = espeak_library()
    try:
        espeak = call_in_child(espeak_version, timeout=30.0)
    except Exception as exc:  # noqa: BLE001 - only informative
        espeak = f"unknown ({exc})"
    config = load_config(voices)
    blas = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} (usable: {len(os.sched_getaffinity(0))})"),
        ("RAM", mem),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({PYTHON})"),
        ("ffmpeg", f"{ff.path} ({ff.source}); {ff_version}"),
        ("espeak-ng", f"{espeak}; library {lib.path} ({lib.source}); data {lib.data_path or 'default'}"),
        ("engine", f"{config.engine}: {get_engine(config.engine).identity()}"),
        (
            "packages",
            ", ".join(f"{p} {version(p)}" for p in ("podrender", "pyttsx3", "pydub", "numpy", "mutagen")),
        ),
        ("OpenBLAS env", ", ".join(f"{k}={v}" for k, v in blas.items()) or "not set"),
    ]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --------------------------------------------------------------------------- report


@dataclass
class Case:
    key: str
    name: str
    runs: list[Measured]
    note: str = ""

    def median(self, get: Callable[[Measured], float | None]) -> float | None:
        values = [v for v in (get(r) for r in self.runs) if v is not None]
        return statistics.median(values) if values else None

    @property
    def wall(self) -> float:
        value = self.median(lambda r: r.wall_s)
        assert value is not None
        return value

    @property
    def audio_min(self) -> float | None:
        value = self.median(lambda r: r.audio_s)
        return None if value is None else value / 60

    @property
    def per_audio_min(self) -> float | None:
        audio = self.audio_min
        return None if not audio else self.wall / audio


def _mb(kb: float | None) -> str:
    return "–" if kb is None else f"{kb / 1024:.0f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _s(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def cases_table(cases: list[Case]) -> list[str]:
    rows = [
        "| case | what | runs | wall s (median) | min–max s | CPU s | audio min | s per audio min "
        "| peak RSS MB: top process | largest child | any one process | tree PSS peak MB (sampled) "
        "| other load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cases:
        walls = [r.wall_s for r in c.runs]
        spread = f"{min(walls):.2f}–{max(walls):.2f}" if len(walls) > 1 else "once"
        rows.append(
            f"| {c.key} | {c.name} | {len(c.runs)} | {c.wall:.2f} | {spread} | {_s(c.median(lambda r: r.cpu_s), 1)} "
            f"| {_s(c.audio_min)} | {_s(c.per_audio_min, 3)} "
            f"| {_mb(c.median(lambda r: r.parent_rss_kb))} | {_mb(c.median(lambda r: r.child_rss_kb))} "
            f"| {_mb(c.median(lambda r: r.max_rss_kb))} | {_mb(c.median(lambda r: r.tree_pss_kb))} "
            f"| {_pct(c.median(lambda r: r.other_load))} |"
        )
    return rows


@dataclass(frozen=True)
class Check:
    name: str
    value: str
    target: str
    passed: bool | None
    on_cpu: str = "–"
    """The same ratio on CPU time instead of wall time: information only, less sensitive to other load."""


def checks_table(checks: list[Check]) -> list[str]:
    rows = ["| check | measured | target | result | same on CPU time (info) |", "|---|---|---|---|---|"]
    for c in checks:
        result = "n/a" if c.passed is None else ("PASS" if c.passed else "FAIL")
        rows.append(f"| {c.name} | {c.value} | {c.target} | {result} | {c.on_cpu} |")
    return rows


def _cpu(case: Case) -> float:
    value = case.median(lambda r: r.cpu_s)
    assert value is not None
    return value


def make_checks(by_key: dict[str, Case], cores: int) -> list[Check]:
    a, b, c, d = (by_key[k] for k in "abcd")
    checks = [
        Check("c / a: cold render vs naive (sample)", f"{c.wall / a.wall:.2f}", "≤ 0.50", c.wall / a.wall <= 0.5,
              f"{_cpu(c) / _cpu(a):.2f}"),
        Check("c / b: cold render vs limit (sample)", f"{c.wall / b.wall:.2f}", "≤ 1.30", c.wall / b.wall <= 1.3,
              f"{_cpu(c) / (b.wall * cores):.2f} (c's CPU / (synthesis + encode))"),
        Check("d / c: one-word edit vs cold (sample)", f"{d.wall / c.wall:.1%}", "≤ 15%", d.wall / c.wall <= 0.15,
              f"{_cpu(d) / _cpu(c):.1%}"),
    ]  # fmt: skip
    e, f = by_key.get("e"), by_key.get("f")
    if e is None or f is None:
        checks += [Check(name, "skipped (--skip-long)", target, None) for name, target in (
            ("f / e: one-word edit vs cold (long script)", "≤ 3%"),
            ("e: peak RSS of any one process", "≤ 250 MB"),
            ("e vs c: seconds per audio minute", "within ±15%"),
        )]  # fmt: skip
        return checks
    rss = e.median(lambda r: r.max_rss_kb) or 0
    checks.append(Check("f / e: one-word edit vs cold (long script)", f"{f.wall / e.wall:.1%}", "≤ 3%",
                        f.wall / e.wall <= 0.03, f"{_cpu(f) / _cpu(e):.1%}"))  # fmt: skip
    checks.append(Check("e: peak RSS of any one process", f"{rss / 1024:.0f} MB", "≤ 250 MB", rss / 1024 <= 250))
    if e.per_audio_min and c.per_audio_min and e.audio_min and c.audio_min:
        ratio = e.per_audio_min / c.per_audio_min
        cpu_ratio = (_cpu(e) / e.audio_min) / (_cpu(c) / c.audio_min)
        checks.append(Check("e vs c: seconds per audio minute",
                            f"{e.per_audio_min:.3f} vs {c.per_audio_min:.3f} s ({ratio - 1:+.1%})",
                            "within ±15%", abs(ratio - 1) <= 0.15, f"{cpu_ratio - 1:+.1%}"))  # fmt: skip
    return checks


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=Path("../shared/samples/interview.txt"))
    parser.add_argument("--voices", type=Path, default=Path("voices.yaml"))
    parser.add_argument("--repeats", type=int, default=3, help="runs of a, b, c and d (median reported)")
    parser.add_argument("--hours", type=float, default=3.0, help="length of the long script (cases e, f)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/latest.md"))
    parser.add_argument("--skip-long", action="store_true", help="skip cases e and f")
    parser.add_argument("--keep-temp", action="store_true", help="keep the scratch folder (logs, MP3s, caches)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.hours <= 0:
        parser.error("--repeats must be at least 1 and --hours positive")

    # Measured commands run as an installed podrender does, with Python's bytecode cache: where the
    # environment turns it off, every run would compile podrender's sources again (about 0.1 s).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    command = shlex.join([PYTHON, *sys.argv]) if argv is None else shlex.join([PYTHON, "bench/run.py", *argv])
    script_path, voices = args.script.resolve(), args.voices.resolve()
    started = datetime.now(timezone.utc)
    load_before = load_average()
    tmp = Path(tempfile.mkdtemp(prefix="podrender-bench-"))
    log(f"scratch folder {tmp}")
    try:
        report = _bench(args, command, script_path, voices, tmp, started, load_before)
    finally:
        if args.keep_temp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(report)
    log(f"wrote {args.out}")
    return 0


def _bench(
    args: argparse.Namespace,
    command: str,
    script_path: Path,
    voices: Path,
    tmp: Path,
    started: datetime,
    load_before: str,
) -> str:
    config = load_config(voices)
    runner = Runner(tmp)
    machine = machine_description(voices)
    cores = os.cpu_count() or 1

    # Inputs (not timed).
    sample_text = read_script(script_path)
    edited_text, edit_note = edit_one_word(sample_text, config)
    edited_path = tmp / f"{script_path.stem}-edited.txt"
    edited_path.write_text(edited_text, encoding="utf-8")
    sample_keys = plan_keys(sample_text, config, script_path)
    changed = len(set(plan_keys(edited_text, config, edited_path)) - set(sample_keys))
    log(f"sample: {len(sample_keys)} units; edit: {edit_note}; units changed by the edit: {changed}")

    log("warm-up: one untimed cold render of the sample")
    runner.run("warmup", PODRENDER, render_args(script_path, voices, tmp / "cache-warmup", tmp / "warmup.mp3"))
    shutil.rmtree(tmp / "cache-warmup", ignore_errors=True)

    cases = {
        "a": Case("a", "naive peer (bench/naive.py: pyttsx3 in one process + pydub)", []),
        "b": Case("b", f"limit: (raw synthesis + one ffmpeg encode) / {cores} cores", []),
        "c": Case("c", "podrender, empty cache", []),
        "d": Case("d", "podrender, one word edited (cache of c)", []),
    }
    naive_reports: list[dict[str, Any]] = []
    limit_reports: list[dict[str, Any]] = []
    d_cache: list[dict[str, int]] = []
    warm: Measured | None = None
    for rep in range(1, args.repeats + 1):
        log(f"repeat {rep}/{args.repeats}: (a) naive")
        out_a, report_a = tmp / f"a-{rep}.mp3", tmp / f"a-{rep}.json"
        m = runner.run("a-naive", str(BENCH / "naive.py"),
                       [script_path, "--voices", voices, "-o", out_a, "--report", report_a])  # fmt: skip
        m.audio_s = audio_seconds(out_a)
        naive_reports.append(json.loads(report_a.read_text()))
        cases["a"].runs.append(m)
        log(f"  a: {m.wall_s:.2f} s")

        log(f"repeat {rep}/{args.repeats}: (b) limit")
        report_b = tmp / f"b-{rep}.json"
        m = runner.run("b-limit", str(BENCH / "limit.py"), [script_path, "--voices", voices, "--json", report_b])
        limit = json.loads(report_b.read_text())
        limit_reports.append(limit)
        m.info["process_wall_s"] = m.wall_s
        m.wall_s, m.audio_s = limit["limit_s"], limit["audio_s"]
        cases["b"].runs.append(m)
        log(f"  b: limit {limit['limit_s']:.2f} s (synthesis {limit['synthesis_s']:.2f} s, "
            f"encode {limit['encode_s']:.2f} s)")  # fmt: skip

        cache = tmp / f"cache-{rep}"
        log(f"repeat {rep}/{args.repeats}: (c) cold render")
        out_c = tmp / f"c-{rep}.mp3"
        m = runner.run("c-cold", PODRENDER, render_args(script_path, voices, cache, out_c))
        m.audio_s = audio_seconds(out_c)
        m.info["cache"] = manifest_cache(out_c)
        cases["c"].runs.append(m)
        log(f"  c: {m.wall_s:.2f} s")

        log(f"repeat {rep}/{args.repeats}: (d) one-word edit")
        out_d = tmp / f"d-{rep}.mp3"
        m = runner.run("d-edit", PODRENDER, render_args(edited_path, voices, cache, out_d))
        m.audio_s = audio_seconds(out_d)
        d_cache.append(manifest_cache(out_d))
        cases["d"].runs.append(m)
        log(f"  d: {m.wall_s:.2f} s ({d_cache[-1]['miss'] + d_cache[-1]['partial']} turn(s) not from the cache)")
        if rep == args.repeats:
            log("diagnostic: re-render of the sample with every chunk cached (not part of any case)")
            warm = runner.run("all-cached", PODRENDER, render_args(script_path, voices, cache, tmp / "cached.mp3"))
            log(f"  all cached: {warm.wall_s:.2f} s")
        shutil.rmtree(cache, ignore_errors=True)

    assert warm is not None
    log("diagnostic: per-chunk stage timings (limit.py --stages, not part of any case)")
    stages_json = tmp / "stages.json"
    runner.run("stages", str(BENCH / "limit.py"), [script_path, "--voices", voices, "--json", stages_json, "--stages"])
    stages = json.loads(stages_json.read_text())

    long_info: dict[str, Any] = {}
    if not args.skip_long:
        sample_audio = cases["c"].runs[0].audio_s or 600.0
        repetitions = max(1, round(args.hours * 3600 / sample_audio))
        long_text = long_script(sample_text, repetitions, config)
        long_path = tmp / f"{script_path.stem}-x{repetitions}.txt"
        long_path.write_text(long_text, encoding="utf-8")
        long_edited, long_note = edit_one_word(long_text, config)
        long_edited_path = tmp / f"{script_path.stem}-x{repetitions}-edited.txt"
        long_edited_path.write_text(long_edited, encoding="utf-8")
        keys = plan_keys(long_text, config, long_path)
        long_changed = len(set(plan_keys(long_edited, config, long_edited_path)) - set(keys))
        long_info = {
            "repetitions": repetitions,
            "units": len(keys),
            "distinct": len(set(keys)),
            "edit": long_note,
            "changed": long_changed,
            "chars": len(long_text),
        }
        log(f"long script: {repetitions} copies, {len(keys)} units ({len(set(keys))} distinct); edit: {long_note}; "
            f"units changed: {long_changed}")  # fmt: skip

        cache = tmp / "cache-long"
        log("(e) long script, empty cache (once)")
        out_e = tmp / "e.mp3"
        m = runner.run("e-long-cold", PODRENDER, render_args(long_path, voices, cache, out_e))
        m.audio_s = audio_seconds(out_e)
        cases["e"] = Case("e", f"podrender, {args.hours:g} h script ({repetitions} varied copies), empty cache", [m])
        log(f"  e: {m.wall_s:.2f} s for {m.audio_s / 60:.1f} audio minutes")

        log("(f) long script, one word edited (once)")
        out_f = tmp / "f.mp3"
        m = runner.run("f-long-edit", PODRENDER, render_args(long_edited_path, voices, cache, out_f))
        m.audio_s = audio_seconds(out_f)
        long_info["f_cache"] = manifest_cache(out_f)
        cases["f"] = Case("f", "podrender, long script, one word edited (cache of e)", [m])
        log(f"  f: {m.wall_s:.2f} s")
        shutil.rmtree(cache, ignore_errors=True)

    finished = datetime.now(timezone.utc)
    return render_report(
        command=command,
        machine=machine,
        cases=list(cases.values()),
        checks=make_checks(cases, cores),
        started=started,
        finished=finished,
        load=(load_before, load_average()),
        args=args,
        edit_note=edit_note,
        changed=changed,
        sample_units=len(sample_keys),
        naive_reports=naive_reports,
        limit_reports=limit_reports,
        d_cache=d_cache,
        stages=stages,
        long_info=long_info,
        all_cached=warm,
        voices_match=compare_voices(naive_reports[0], tmp / "c-1.json"),
        examples=runner.examples,
        cores=cores,
    )


def compare_voices(naive_report: dict[str, Any], manifest_path: Path) -> str:
    """Whether naive.py gave every speaker the voice, rate and pitch podrender's manifest shows."""
    speakers = json.loads(manifest_path.read_text())["speakers"]
    problems = []
    for s in speakers:
        mine = naive_report["voices"].get(s["name"])
        if mine is None:
            continue
        theirs = {"voice": s["voice"], "rate": s["rate"], "pitch": s["pitch"]}
        ours = {"voice": mine["voice"], "rate": mine["rate"], "pitch": mine["pitch"]}
        if ours != theirs or (mine["in_effect"] or "").casefold() != s["voice"].casefold():
            problems.append(f"{s['name']}: naive {ours} (in effect {mine['in_effect']}) vs podrender {theirs}")
    names = ", ".join(f"{s['name']} = {s['voice']}" for s in speakers if s["name"] in naive_report["voices"])
    return f"yes ({names})" if not problems else "NO: " + "; ".join(problems)


def _avg(reports: list[dict[str, Any]], get: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(get(r) for r in reports)


def render_report(
    *,
    command: str,
    machine: list[tuple[str, str]],
    cases: list[Case],
    checks: list[Check],
    started: datetime,
    finished: datetime,
    load: tuple[str, str],
    args: argparse.Namespace,
    edit_note: str,
    changed: int,
    sample_units: int,
    naive_reports: list[dict[str, Any]],
    limit_reports: list[dict[str, Any]],
    d_cache: list[dict[str, int]],
    stages: dict[str, Any],
    long_info: dict[str, Any],
    all_cached: Measured,
    voices_match: str,
    examples: dict[str, list[str]],
    cores: int,
) -> str:
    by_key = {c.key: c for c in cases}
    minutes = (finished - started).total_seconds() / 60
    out: list[str] = [
        "# podrender benchmark",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC, took {minutes:.1f} min. Load average (1/5/15 min) before: {load[0]}, "
        f"after: {load[1]} — the machine is shared, so expect noise.",
        "",
        "Command (from the repository root):",
        "",
        "```",
        command,
        "```",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine),
        "",
        "## Results",
        "",
        f"Output settings for every case: 44.1 kHz, mono, 64 kbit/s CBR MP3. Script: `{args.script}`, "
        f"voices: `{args.voices}`. Cases a–d: median of {args.repeats} run(s), interleaved a, b, c, d per repeat"
        + (". Cases e and f ran **once each** (they are long)." if "e" in by_key else "; e and f skipped.")
        + " One untimed cold render ran first as a warm-up.",
        "",
        *cases_table(cases),
        "",
        "## Targets",
        "",
        *checks_table(checks),
        "",
        "## Details",
        "",
    ]
    a, c = by_key["a"], by_key["c"]
    naive_s = naive_reports[0]["seconds"]
    naive_stage = ", ".join(f"{k} {statistics.median(r['seconds'][k] for r in naive_reports):.2f} s" for k in naive_s)
    out += [
        f"- **a, naive**: {naive_reports[0]['turns']} turns, one engine in one process; stage medians: "
        f"{naive_stage}. pydub's export uses ffmpeg's default LAME quality (podrender uses "
        f"`-compression_level {stages_lame(limit_reports)}`). It reads the raw text (URLs, emoji and all), so its "
        f"audio is {_s(a.audio_min)} min against podrender's {_s(c.audio_min)} min.",
        f"- Same voices as podrender: {voices_match}.",
        f"- **b, limit**: {limit_reports[0]['units']} units from `prepare`, each synthesized in a fresh forked "
        f"process, one after another; medians: synthesis (sum of the `synthesize` calls) "
        f"{_avg(limit_reports, lambda r: r['synthesis_s']):.2f} s (loop wall incl. forks "
        f"{_avg(limit_reports, lambda r: r['synthesis_loop_wall_s']):.2f} s), one ffmpeg encode of the whole "
        f"episode {_avg(limit_reports, lambda r: r['encode_s']):.2f} s (each run's fastest of "
        f"{len(limit_reports[0].get('encode_tries_s', [0]))}; all tries: "
        f"{', '.join(f'{t:.2f}' for r in limit_reports for t in r.get('encode_tries_s', []))} s); "
        f"limit = (synthesis + encode) / {cores}. "
        f"The RSS columns of b are those of limit.py's process tree.",
        f"- **c, cold**: fresh `--cache-dir` per repeat; {sample_units} units; wall time includes interpreter start "
        "and imports, listing the voices and measuring the codec gain (both cached for later runs).",
        f"- **d, edit**: {edit_note}; units whose cache key changed: {changed}; turns not taken from the cache per "
        f"run: {[x['miss'] + x['partial'] for x in d_cache]}.",
        f"- Diagnostic, not a case: re-rendering the unedited sample once more with every chunk cached took "
        f"{all_cached.wall_s:.2f} s ({all_cached.cpu_s:.2f} s CPU): the fixed cost of a render (start-up, imports, "
        "parsing, planning, cache look-ups, writing the episode). Everything d spends above that goes to the "
        "edited chunk.",
    ]
    if long_info:
        e = by_key["e"]
        fc = long_info["f_cache"]
        out += [
            f"- **e, long**: {long_info['repetitions']} copies of the sample body under one title "
            f"({long_info['chars']:,} characters, {long_info['units']} units, {long_info['distinct']} distinct), "
            f"{_s(e.audio_min, 1)} audio minutes; in copies 2.. every sentence ends in ' (N)', "
            "narration paragraphs are labeled for the narrator. Ran once.",
            f"- **f, long edit**: {long_info['edit']}; units whose cache key changed: {long_info['changed']}; "
            f"turns not from the cache: {fc['miss'] + fc['partial']} of {fc['hit'] + fc['miss'] + fc['partial']}. "
            f"Ran once.",
        ]
    st = stages.get("stages_s", {})
    total = sum(st.values())
    out += [
        "",
        "### Where a cold render's CPU time goes (diagnostic)",
        "",
        "One extra run of `bench/limit.py --stages`: every unit of the sample, one at a time, each in a fresh "
        "forked process, timing podrender's per-chunk steps (as in `synthesize.make_chunk`). Not part of any case.",
        "",
        "| step | seconds (sum over units) | share |",
        "|---|---|---|",
        *(f"| {k} | {v:.2f} | {v / total:.0%} |" for k, v in st.items()),
        f"| total | {total:.2f} | |",
        f"| for comparison: one ffmpeg encode of the whole episode | {stages['encode_s']:.2f} | |",
        f"| for comparison: every chunk through an ffmpeg process of its own | "
        f"{stages.get('ffmpeg_chunk_encode_s', float('nan')):.2f} | |",
        f"| for comparison: c's median wall × {cores} cores | {c.wall * cores:.2f} | |",
        "",
        "## How this was measured",
        "",
        "- Wall time: `bench/measure.py` spawns the command and times it to its exit (process start and imports "
        "included). For b the wall column is the computed limit, not the wall time of limit.py.",
        "- CPU s: user + system time of the whole process tree (`RUSAGE_CHILDREN` of the wrapper).",
        "- Peak RSS, *top process*: `bench/rss_entry.py` runs the entry point (`podrender.runner.launch:main`, exactly "
        "what the `podrender` console script calls, or naive.py / limit.py) and at exit records "
        "`getrusage(RUSAGE_SELF)`: podrender's parent process alone.",
        "- Peak RSS, *largest child*: `getrusage(RUSAGE_CHILDREN)` in that same process at exit: the largest peak "
        "RSS of any waited-for descendant (a worker, including the ffmpeg it ran; for a: pydub's ffmpeg). A forked "
        "worker's RSS includes pages it shares with the parent.",
        "- Peak RSS, *any one process*: `RUSAGE_CHILDREN` of a fresh `measure.py` wrapper per run = max of the two "
        "above. This is what `/usr/bin/time -f %M` would print, and what the 250 MB target is checked against.",
        "- Tree PSS peak: the largest sum of PSS over all live processes of the tree, sampled every 0.2 s from "
        "/proc/PID/smaps_rollup (shared pages split between sharers); short peaks can be missed.",
        "- Audio minutes: `mutagen.mp3.MP3(path).info.length` of each output.",
        "- Other load: CPU time the whole machine was busy during the run (/proc/stat) minus the run's own CPU "
        "time, as a share of wall time × cores. High values mean other processes competed for the cores; the "
        "CPU-time ratios in the targets table are less affected by that than the wall-time ones.",
        "",
        "Example measured commands (scratch paths are temporary):",
        "",
        "```",
        *(f"{label}: {shlex.join(cmd)}" for label, cmd in examples.items()),
        "```",
        "",
    ]
    return "\n".join(out)


def stages_lame(limit_reports: list[dict[str, Any]]) -> str:
    cmd: list[str] = limit_reports[0]["encode_command"]
    return cmd[cmd.index("-compression_level") + 1]


if __name__ == "__main__":
    sys.exit(main())
