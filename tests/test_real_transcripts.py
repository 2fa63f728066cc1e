"""Real public transcripts read as a person reads them: tests/fixtures/real/reading.yaml says, for each,
what a reader expects (format, speakers by label, turns, the author's chapters, what is never said), and
this checks it through the public API with an empty voices.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import podrender

REAL = Path(__file__).parent / "fixtures" / "real"
READING: dict[str, dict[str, Any]] = yaml.safe_load((REAL / "reading.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def config() -> podrender.Config:
    return podrender.parse_config("")


def test_the_collection_has_at_least_15_transcripts_each_with_a_reading() -> None:
    files = sorted(p.name for p in REAL.iterdir() if p.suffix in (".md", ".txt"))
    assert len(files) >= 15
    assert sorted(READING) == files
    assert (REAL.parent / "SOURCES.md").is_file()
    sources = (REAL.parent / "SOURCES.md").read_text(encoding="utf-8")
    assert all(name in sources for name in files)


@pytest.mark.parametrize("name", sorted(READING))
def test_read_as_a_person_reads_it(name: str, config: podrender.Config) -> None:
    want = READING[name]
    prepared = podrender.prepare((REAL / name).read_text(encoding="utf-8"), config, source=name)
    script = prepared.script
    assert script.input_format == want["format"]
    if "title" in want:
        assert prepared.title == want["title"]

    labels = [label for spellings in script.labels.values() for label in spellings]
    if "labels" in want:
        assert sorted(set(labels)) == sorted(want["labels"])  # a label two people share (Q) counts once
    assert set(want.get("labels_include", ())) <= set(labels)
    taken = {label.casefold() for label in labels} | {speaker.casefold() for speaker in script.speakers}
    assert not taken & {word.casefold() for word in want.get("not_labels", ())}

    spoken_turns = [t for t in script.turns if t.speaker is not None]
    turns = want["turns"]
    low, high = (turns, turns) if isinstance(turns, int) else turns
    assert low <= len(spoken_turns) <= high

    titles = [c.title for c in prepared.chapters]
    if "chapters" in want:
        assert titles == want["chapters"]
    assert all(0 < len(t) <= 60 and not t.endswith(("…", "...")) for t in titles), titles

    written = "\n".join(t.text for t in script.turns)  # what the voices are given, the title included
    said = "\n".join(u.text for u in prepared.plan.units)  # and what they say after normalization
    for phrase in want.get("not_spoken", ()):
        assert phrase not in written, phrase
        assert phrase not in said, phrase
    for phrase in want.get("spoken", ()):
        assert phrase in written, phrase
    reasons = {s.reason for s in script.skipped}
    assert set(want.get("skipped", ())) <= reasons
