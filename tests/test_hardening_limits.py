"""Second round of hardening, slow and huge input: user regexes run with a time bound, casting is near-linear
in the number of speakers, YAML aliases cannot blow a script up, turns and speakers are bounded, size limits
hold for stdin and devices. docs/reliability.md, "Limits and slow input (second round)", lists each case."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_hardening import cli, one_error_line

from podrender.config import parse_config
from podrender.pipeline import prepare


def name(i: int) -> str:
    """A distinct capitalized name for every i: Guest Ba, Guest Bb, ..."""
    letters = ""
    while True:
        i, d = divmod(i, 26)
        letters = chr(97 + d) + letters
        if not i:
            break
    return "Guest B" + letters


def panel(n: int) -> str:
    lines = ["Big Panel", ""]
    for i in range(n):
        lines += [f"{name(i)}: Hello there, I am one of the guests of the panel.", ""]
    return "\n".join(lines)


def test_a_catastrophic_skip_pattern_of_the_issue_finishes_at_once(tmp_path: Path) -> None:
    """`(a+)+$` against a line of 40 a's hung inspect with Python's re; the regex module matches it at once."""
    (tmp_path / "t.txt").write_text(f"Talk\n\nAnn: {'a' * 40}\n\nBen: Hi there, friend.\n")
    (tmp_path / "v.yaml").write_text('engine: fake\nskip:\n  - "(a+)+$"\n')
    start = time.monotonic()
    proc = cli("inspect", str(tmp_path / "t.txt"), "--voices", str(tmp_path / "v.yaml"), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - start < 30  # it hung (killed at 60 s) before; a generous bound for a busy machine
    assert "(skip rule '(a+)+$')" in proc.stdout


def test_a_skip_pattern_that_runs_too_long_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(f"Talk\n\nAnn: {'a' * 40}!\n\nBen: Hi there, friend.\n")
    (tmp_path / "v.yaml").write_text('engine: fake\nskip:\n  - "^Get the app"\n  - "(a|aa)+$"\n')
    start = time.monotonic()
    line = one_error_line(cli("inspect", str(tmp_path / "t.txt"), "--voices", str(tmp_path / "v.yaml"), timeout=60))
    assert time.monotonic() - start < 30
    assert line == (f"Error: {tmp_path / 'v.yaml'} line 4: skip pattern '(a|aa)+$' took more than 0.25 s on one "
                    "line of the script; simplify it (nested repeats such as (a+)+ can run for ever)")  # fmt: skip


def test_an_invalid_skip_pattern_names_its_line() -> None:
    with pytest.raises(Exception, match=r"skip pattern '\(unclosed' is not a valid regular expression") as info:
        parse_config('skip:\n  - "(unclosed"\n', "v.yaml")
    assert getattr(info.value, "line", None) == 2


def test_casting_is_near_linear_in_the_number_of_speakers() -> None:
    """800 speakers took 75 s (quadratic: every fallback searched against everyone cast before); 4x the
    speakers must now take well under 16x the time. CPU time, the smaller of two runs."""
    config = parse_config("engine: pyttsx3\n", "v.yaml")

    def cpu(n: int) -> float:
        text = panel(n)
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            prepared = prepare(text, config)
            best = min(best, time.process_time() - start)
        assert len(prepared.cast.roles) == n
        return best

    small, large = cpu(400), cpu(1600)
    assert large < 8 * small, (small, large)


def test_many_speakers_share_voices_with_one_warning() -> None:
    prepared = prepare(panel(60), parse_config("engine: fake\n", "v.yaml"))
    voices = {r.voice.voice for r in prepared.cast.roles}
    assert len(voices) <= 4  # the fake engine has four voices
    crowd = [w for w in prepared.cast.warnings if "more than the 24" in w]
    assert crowd == ["61 speakers are not in voices.yaml, more than the 24 that fallback voices can keep apart; "
                     "the last 37 share voices with earlier ones"]  # fmt: skip
    later = [r for r in prepared.cast.roles if r.why == "fallback: shares a voice (many speakers)"]
    assert len(later) == 37
