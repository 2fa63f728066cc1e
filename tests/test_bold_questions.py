"""Interviews whose questions are whole bold paragraphs with no label and whose answers are plain paragraphs
(podrender.input.formats.boldqa): the interviewer asks, the interviewee answers, each bold question opens a
chapter, and `inspect` says who is who and why. Through the public API and `podrender inspect`.

The two fixtures (tests/fixtures/web/bold-questions.md and .html) were written for these tests; the
negative cases are written inline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

import podrender
from podrender.cli.main import cli

FIXTURES = Path(__file__).parent / "fixtures" / "web"
FAKE = podrender.parse_config("engine: fake\nnarrator: Narrator\n")


def prepared(text: str, source: str, config: podrender.Config = FAKE, policy: str | None = None) -> podrender.Prepared:
    return podrender.prepare(text, config, source=source, policy=policy)


def fixture(name: str, config: podrender.Config = FAKE) -> podrender.Prepared:
    path = FIXTURES / name
    return prepared(podrender.read_script(path), str(path), config)


def who(p: podrender.Prepared) -> list[str | None]:
    return [t.speaker for t in p.script.turns if not t.is_title]


def folds(p: podrender.Prepared) -> dict[str, tuple[str, str]]:
    return {f.label: (f.into, f.reason) for f in p.script.folds}


def test_markdown_interview_with_bold_questions() -> None:
    p = fixture("bold-questions.md")
    assert list(p.script.speakers) == ["Daniel Reyes", "Maya Okafor"]
    # the byline and the intro are the narrator's, then five questions and answers, then the editor's note
    assert who(p) == [None, *["Daniel Reyes", "Maya Okafor"] * 5, None]
    turns = [t for t in p.script.turns if not t.is_title]
    assert turns[1].text == "What got you into tide pools?"
    # an answer of two paragraphs is one turn; the last answer keeps its second paragraph
    assert turns[2].text.endswith("I had a notebook full of drawings of anemones.")
    assert turns[10].text.startswith("Buy good boots") and turns[10].text.endswith("only over years.")
    assert turns[-1].text == "*This interview has been edited for length and clarity.*"
    # a prompt is the interviewer's too
    assert turns[7].speaker == "Daniel Reyes" and turns[7].text == "Tell us about a day you will never forget."
    assert [c.title for c in p.chapters] == [
        "Introduction", "What got you into tide pools?", "How has the shore changed since you started counting?",
        "Do they come back?", "What would you say to someone who wants to start?", "Closing",
    ]  # fmt: skip
    assert folds(p) == {
        "bold questions": ("Daniel Reyes", "'Interviewed by Daniel Reyes' in the introduction (line 3)"),
        "answers": ("Maya Okafor", "'An interview with Maya Okafor' in the title"),
    }
    assert p.cast.host == "Daniel Reyes"


def test_html_page_with_bold_questions() -> None:
    p = fixture("bold-questions.html")
    assert p.script.input_format == "html"
    assert list(p.script.speakers) == ["Priya Raman", "Tomas Lindqvist"]
    assert who(p) == [None, *["Priya Raman", "Tomas Lindqvist"] * 5]
    turns = [t for t in p.script.turns if not t.is_title]
    # `<strong><em>Describe ...</em></strong>`: a prompt in bold italics
    assert turns[7].text == "Describe your workshop in one sentence."
    assert turns[-1].text.endswith("My apprentice is already better at the small work than I was at her age.")
    assert [c.title for c in p.chapters] == [
        "Introduction", "How did you learn the trade?", "What is the hardest repair you have ever done?",
        "Do people still bring you their clocks?", "Will you ever retire?",
    ]  # fmt: skip
    assert folds(p) == {
        "bold questions": ("Priya Raman", "'By Priya Raman' in the page's byline"),
        "answers": ("Tomas Lindqvist", "'Q&A with Tomas Lindqvist' in the title"),
    }
    said = " ".join(u.text for u in p.plan.units).casefold()
    for chrome in ("share this", "all rights reserved", "subscribe", "**"):
        assert chrome not in said


def test_voices_yaml_host_and_qa_name_them() -> None:
    text = (FIXTURES / "bold-questions.md").read_text()
    host = podrender.parse_config("engine: fake\nnarrator: Narrator\nhost: Ines\n")
    p = prepared(text, "interview.md", host)
    assert list(p.script.speakers) == ["Ines", "Maya Okafor"]
    assert folds(p)["bold questions"] == ("Ines", "voices.yaml names them (host)")
    qa = podrender.parse_config("engine: fake\nnarrator: Narrator\nqa:\n  Q: Ed\n  A: Marta\n")
    p = prepared(text, "interview.md", qa)
    assert list(p.script.speakers) == ["Ed", "Marta"]
    assert folds(p)["answers"] == ("Marta", "voices.yaml names them")


def test_without_names_they_are_host_and_guest() -> None:
    text = """# Notes from the allotment

A few questions for the person who grows the best leeks on our street.

**When do you sow?**

In February, indoors, on a sunny sill.

**How deep do you plant them?**

Deep enough that only the tips show. It blanches the stems.

**What do you feed them?**

Comfrey tea, every two weeks from June.
"""
    p = prepared(text, "leeks.md")
    assert who(p) == [None, *["Host", "Guest"] * 3]
    assert folds(p) == {
        "bold questions": ("Host", "no interviewer is named in the title or introduction"),
        "answers": ("Guest", "no guest is named in the title or introduction"),
    }


@pytest.mark.parametrize(
    ("title", "intro", "guest", "reason"),
    [
        ("Rosa Delgado on sourdough", "She bakes before dawn.", "Rosa Delgado",
         "'Rosa Delgado on sourdough' in the title"),
        ("Sourdough at dawn", "This week we talked to Rosa Delgado about bread.", "Rosa Delgado",
         "'we talked to Rosa Delgado' in the introduction (line 3)"),
        ("In conversation with Rosa Delgado", "She bakes before dawn.", "Rosa Delgado",
         "'conversation with Rosa Delgado' in the title"),
    ],
)  # fmt: skip
def test_the_guest_is_named_as_the_title_or_intro_names_them(title: str, intro: str, guest: str, reason: str) -> None:
    questions = ["Why sourdough?", "How old is your starter?", "What goes wrong most often?"]
    body = "".join(f"**{q}**\n\nAn answer about bread, number {i}.\n\n" for i, q in enumerate(questions))
    p = prepared(f"# {title}\n\n{intro}\n\n{body}", "bread.md")
    assert who(p) == [None, *["Host", guest] * 3]
    assert folds(p)["answers"] == (guest, reason)


def test_questions_over_two_lines_and_in_bold_italics() -> None:
    text = """# A talk with Ben Ito

***Where did the idea for the
lantern festival come from?***

From a trip to Hoi An in my twenties.

__Who builds the lanterns?__

Volunteers, about two hundred of them.

**Is it hard to keep going every year?**

Every year, and every year we do.
"""
    p = prepared(text, "lanterns.md")
    turns = [t for t in p.script.turns if not t.is_title]
    assert [t.speaker for t in turns] == ["Host", "Ben Ito"] * 3
    assert turns[0].text == "Where did the idea for the lantern festival come from?"


def test_a_how_to_with_bold_sentences_is_not_an_interview() -> None:
    text = """# Replacing a bicycle chain

You need a chain tool and a new chain of the right width.

**Always shift to the smallest cog first.**

It keeps the old chain slack while you work.

**Count the links before you cut.**

The new chain must match the old one link for link.

**Is the chain too long?**

Then the derailleur will sag in the smallest gears.

**Check the master link twice.**

A loose master link is the most common failure.
"""
    p = prepared(text, "chain.md")
    assert p.script.shape == ""
    assert p.script.speakers == ()
    assert not p.script.folds


def test_a_document_with_labels_is_unchanged() -> None:
    text = """# Two gardeners

**Ann:** Shall we start with tomatoes?

**Bo:** Yes.

**Why do they split?**

**Ann:** Too much water after a dry spell.

**Bo:** Mine split every August.

**What about blight?**

**Ann:** Keep the leaves dry.

**Are raised beds worth it?**

**Bo:** For drainage, always.
"""
    p = prepared(text, "garden.md")
    assert p.script.shape == ""
    assert list(p.script.speakers) == ["Ann", "Bo"]
    assert not any(f.label in ("bold questions", "answers") for f in p.script.folds)


def test_bold_headings_without_questions_stay_chapters() -> None:
    text = """# A life at sea

Ingrid Holm sailed cargo ships for forty years before she retired to the coast.

**Early years**

She grew up in a fishing town and went to sea at sixteen.

**The long voyages**

Her longest trip lasted eleven months.

**Coming home**

She still walks to the harbour every morning.
"""
    p = prepared(text, "sea.md", policy="host")
    assert p.script.shape == ""
    assert p.script.speakers == ()
    assert [c.title for c in p.chapters] == ["Early years", "The long voyages", "Coming home"]


def test_inspect_says_who_asks_and_who_answers(tmp_path: Path) -> None:
    runner = CliRunner()
    path = str(FIXTURES / "bold-questions.md")
    result = runner.invoke(cli, ["inspect", "--json", path])
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert [s["name"] for s in sheet["speakers"]] == ["Narrator", "Daniel Reyes", "Maya Okafor"]
    assert [t["speaker"] for t in sheet["turns"]][1:] == [
        "Narrator", *["Daniel Reyes", "Maya Okafor"] * 5, "Narrator"
    ]
    assert sheet["chapters"][1] == {"title": "What got you into tide pools?", "turn": 2}
    assert {"label": "answers", "into": "Maya Okafor", "reason": "'An interview with Maya Okafor' in the title"} in (
        sheet["folds"]
    )
    text = runner.invoke(cli, ["inspect", path])
    assert text.exit_code == 0, text.output
    assert "bold questions → Daniel Reyes: 'Interviewed by Daniel Reyes' in the introduction (line 3)" in text.output
    assert "answers → Maya Okafor: 'An interview with Maya Okafor' in the title" in text.output
    assert not any("Q" in s["aliases"] or "A" in s["aliases"] for s in sheet["speakers"])  # the parser's marks


def test_real_render_of_a_bold_question_page(tmp_path: Path) -> None:
    """A short page through `podrender render` with the real engine and encoder: one chapter per question."""
    page = tmp_path / "short.html"
    page.write_text("""<!DOCTYPE html><html><head><title>An interview with Nora Vik</title></head><body>
<article><h1>An interview with Nora Vik</h1><p>Nora Vik restores old boats.</p>
<p><strong>Which boat came first?</strong></p><p>A rowing boat with a split keel.</p>
<p><strong>What wood do you use?</strong></p><p>Oak for the frames.</p>
<p><strong>Why boats?</strong></p><p>They float, mostly.</p></article></body></html>""", encoding="utf-8")
    out = tmp_path / "short.mp3"
    result = CliRunner().invoke(cli, ["render", str(page), "-o", str(out), "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert MP3(out).info.length > 2
    chapters = sorted(ID3(out).getall("CHAP"), key=lambda c: c.start_time)
    titles = [c.sub_frames["TIT2"].text[0] for c in chapters]
    assert titles == ["Introduction", "Which boat came first?", "What wood do you use?", "Why boats?"]
    assert all(a.end_time <= b.start_time for a, b in zip(chapters, chapters[1:], strict=False))
    manifest = json.loads(out.with_suffix(".json").read_text())
    assert [t["speaker"] for t in manifest["turns"]][-6:] == ["Host", "Nora Vik"] * 3


def test_a_text_file_of_bold_questions_is_read_as_markdown() -> None:
    text = """Some questions for the keeper of the lighthouse.

**How long have you lived here?**

Twenty years this autumn.

**Is it lonely?**

Never. The ships talk to me.

**What do you do in storms?**

Watch the lamp, and make tea.
"""
    p = prepared(text, "keeper.txt")
    assert p.script.input_format == "markdown"
    assert p.script.detected_by == "detected from content: 3 questions in bold, each answered below"
    assert who(p) == [None, *["Host", "Guest"] * 3]
    assert "**" not in " ".join(u.text for u in p.plan.units)


def test_credit_lines_before_the_questions_are_no_speakers() -> None:
    """`Words: NAME` and `Photos: NAME` used once before the first question: the narrator's, and `Words` names
    who asks."""
    text = """# Maya Okafor on tide pools

Words: Daniel Reyes

Photos: Ana Lima

**How long have you counted sea stars?**

Eleven summers.

**Is it cold work?**

Very. Wear two pairs of socks.

**What do you hope to find next year?**

More young ones under the ledges.
"""
    p = prepared(text, "credits.md")
    assert list(p.script.speakers) == ["Daniel Reyes", "Maya Okafor"]
    assert who(p) == [None, *["Daniel Reyes", "Maya Okafor"] * 3]  # the credits: one narrated turn
    assert folds(p)["bold questions"] == ("Daniel Reyes", "'Words: Daniel Reyes' in the introduction (line 3)")
    assert [c.title for c in p.chapters][1:] == [
        "How long have you counted sea stars?", "Is it cold work?", "What do you hope to find next year?",
    ]  # fmt: skip


def test_bold_section_names_among_bold_questions_are_the_chapters() -> None:
    """An interview divided into sections by bold names: the sections are the chapters (as headings are
    elsewhere), the questions still the interviewer's."""
    text = """# A conversation with Ines Duarte

Ines Duarte has built violins in Porto since 1998.

**Early years**

**Who taught you?**

An old luthier who worked above a bakery.

**Was it hard?**

For the first five years, yes.

**The workshop today**

**How many violins do you make in a year?**

Six, if the wood behaves.
"""
    p = prepared(text, "violins.md")
    assert list(p.script.speakers) == ["Host", "Ines Duarte"]
    assert who(p) == [None, *["Host", "Ines Duarte"] * 3]
    assert [c.title for c in p.chapters] == ["Early years", "The workshop today"]
