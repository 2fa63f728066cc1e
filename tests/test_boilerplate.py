"""Web page chrome in plain transcripts (podrender.input.boilerplate): recognised by shape and left out with
its reason, real sentences about apps, links and numbers kept, `keep:` taking a line back, `inspect` showing it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import podrender
from podrender.cli.main import cli
from podrender.config import parse_config
from podrender.errors import ConfigError
from podrender.input.boilerplate import chrome_reason, page_chrome
from podrender.input.script import ParseOptions, parse

FAKE = "engine: fake\nnarrator: Narrator\n"

# Written for these tests: one or more lines of each kind, with the reason expected.
CHROME = [
    ("Get the Sparrowfeed app", "page chrome: app-store button"),
    ("Download the Quillpost App now", "page chrome: app-store button"),
    ("Download on the App Store", "page chrome: app-store button"),
    ("GET IT ON, Google Play", "page chrome: app-store button"),
    ("Available on the Play Store", "page chrome: app-store button"),
    ("An image that says 'Get it on Google Play' and opens the store", "page chrome: app-store button"),
    ("A link reading 'Back to the front page', and if clicked it goes home", "page chrome: a button description"),
    ("Follow", "page chrome: a button"),
    ("Sign up", "page chrome: a button"),
    ("Listen   Share", "page chrome: a button"),
    ("Open in app", "page chrome: a button"),
    ("Members-only story", "page chrome: a page label"),
    ("3.4K", "page chrome: a count"),
    ("87 responses", "page chrome: a count"),
    ("2.1K Followers · 310 Following", "page chrome: a count"),
    ("11 min read", "page chrome: reading time"),
    ("4 min read · Mar 9, 2023", "page chrome: reading time"),
    ("Responses (12)", "page chrome: a section heading"),
    ("Recommended from Quillpost", "page chrome: a section heading"),
    ("See all from The Dovetail Review", "page chrome: a section heading"),
    ("Home Help Jobs Press Privacy Terms Text to speech", "page chrome: a menu"),
    ("About | Contact us | Sitemap", "page chrome: a menu"),
    ("Blog: https://wren.example.org/notes  Mastodon: https://toot.example/@wren", "page chrome: a line of links"),
    ("Hello friends! Site: https://ola.example.net  Code: https://git.example.com/ola", "page chrome: a line of links"),
    ("https://example.com/archive/2021/issue-4", "page chrome: a line of links"),
    ("Runs a bakery in Lyon | Bread nerd | Mail: baker@example.fr", "page chrome: a byline with links"),
    ("Photo by Ines Alvarado on Pixabay", "page chrome: an image credit"),
    ("•", "page chrome: a separator"),
]

# Real sentences that mention apps, links, numbers, following, sharing and signing: all spoken.
SPOKEN = [
    "I downloaded the app and it crashed.",
    "Get the app? I never bothered.",
    "The app store rejected our first build twice.",
    "It is on Google Play now, and on the App Store next month.",
    "Follow the river until you reach the mill.",
    "Share what you learned with the next cohort.",
    "Sign here, and here, and initial the last page.",
    "Listen to this.",
    "234 people signed up in the first hour.",
    "It took me 11 minutes to read the whole thread.",
    "The slides are at https://talks.example.org/2024/keynote if you want them afterwards.",
    "Compare https://a.example/x with https://b.example/y and tell me which loads faster.",
    "Published in 1998, the book changed how we taught statistics.",
    "Written by hand, every letter took an evening.",
    "More from Dana after the break.",
    "Home is where the heart is.",
    "Help!",
    "You can follow her on Mastodon, @wren, for the updates.",
]


@pytest.mark.parametrize(("line", "reason"), CHROME)
def test_chrome_is_recognised_with_its_reason(line: str, reason: str) -> None:
    assert chrome_reason(line) == reason


def test_chrome_covers_at_least_twelve_kinds() -> None:
    assert len({reason for _, reason in CHROME}) >= 12


@pytest.mark.parametrize("line", SPOKEN)
def test_real_sentences_are_not_chrome(line: str) -> None:
    assert chrome_reason(line) is None
    assert page_chrome(["Follow", line, "3.4K"])[1] is None


def test_weak_lines_count_only_next_to_chrome() -> None:
    # A bare number, a byline start or a date may be part of the story; next to chrome they are chrome.
    for line in ("42", "Written by Ola Nordmann", "Published in The Dovetail Review", "Jun 4, 2020"):
        assert chrome_reason(line) is None
        assert page_chrome(["We met at noon.", line, "It rained."])[1] is None
        assert page_chrome(["We met at noon.", line, "Follow"])[1] is not None
    assert page_chrome(["Written by Ola Nordmann", "2.1K Followers", "Follow"])[0] == "page chrome: author box"


ARTICLE = """\
Baking at altitude, with Ola

Ola Nordmann
Follow
6 min read
·
Jun 4, 2020
234
Listen
Share

Ola has baked in the mountains for twenty years. You can follow her on Mastodon, @ola.

Maria: Ola, why does bread fail at altitude?

Ola: Water boils sooner, so the crumb sets before the rise is done. I downloaded an app for it once and it crashed.

Share

Maria: Share one tip with us.

Ola: Follow the dough, not the clock.

Get the Sparrowfeed app

A button that says 'Download on the App Store', and if clicked it will lead you to the iOS App store
A button that says 'Get it on, Google Play', and if clicked it will lead you to the Google Play store

Written by Ola Nordmann
1.2K Followers

Hello readers! Site: https://ola.example.net Code: https://git.example.com/ola Mail: ola@example.net

Help Status About Careers Press Blog Privacy Terms Text to speech Teams
"""


def _prepare(voices: str = FAKE) -> podrender.Prepared:
    return podrender.prepare(ARTICLE, parse_config(voices), source="article.txt")


def test_a_pasted_article_leaves_out_its_chrome_and_keeps_the_interview() -> None:
    prepared = _prepare()
    skipped = {s.text: s.reason for s in prepared.script.skipped}
    assert skipped == {
        "Follow": "page chrome: a button",
        "6 min read": "page chrome: reading time",
        "·": "page chrome: a separator",
        "Jun 4, 2020": "page chrome: a date",
        "234": "page chrome: a count",
        "Listen": "page chrome: a button",
        "Share": "page chrome: a button",
        "Get the Sparrowfeed app": "page chrome: app-store button",
        "A button that says 'Download on the App Store', and if clicked it will lead you to the iOS App store": (
            "page chrome: app-store button"
        ),
        "A button that says 'Get it on, Google Play', and if clicked it will lead you to the Google Play store": (
            "page chrome: app-store button"
        ),
        "Written by Ola Nordmann": "page chrome: author box",
        "1.2K Followers": "page chrome: a count",
        "Hello readers! Site: https://ola.example.net Code: https://git.example.com/ola Mail: ola@example.net": (
            "page chrome: a line of links"
        ),
        "Help Status About Careers Press Blog Privacy Terms Text to speech Teams": "page chrome: a menu",
    }
    # The `Share` alone between turns went twice (line 10 and the paragraph inside Ola's turn).
    assert sum(1 for s in prepared.script.skipped if s.text == "Share") == 2
    spoken = " ".join(u.text for u in prepared.plan.units)
    for gone in ("Sparrowfeed", "button", "min read", "Followers", "Careers", "Written by", "234", "git dot"):
        assert gone not in spoken
    # The interview itself, sentences about apps and following included, is all spoken.
    for said in ("Ola Nordmann", "follow her on Mastodon", "I downloaded an app", "Share one tip", "Follow the dough"):
        assert said in spoken
    assert [t.speaker for t in prepared.script.turns if not t.is_title] == [None, "Maria", "Ola", "Maria", "Ola"]


def test_a_speakers_answer_is_never_left_out() -> None:
    script = parse("Maria: Any last words?\n\nOla: Follow\n\nMaria: And your count?\n\nOla: 234\nShare\n")
    assert [t.text for t in script.turns] == ["Any last words?", "Follow", "And your count?", "234 Share"]
    assert script.skipped == ()


def test_a_wrapped_paragraph_keeps_a_line_that_looks_like_chrome() -> None:
    text = (
        "We counted the visitors at the gate and by the end of the first day the total was\n"
        "234\n"
        "which was more than the whole village and twice what we had planned for at the start.\n"
    )
    script = parse(text)
    assert script.skipped == ()
    assert "was 234 which" in script.turns[-1].text


def test_a_link_label_is_not_taken_for_a_speaker() -> None:
    text = "Maria: Where can people find you?\n\nOla: Online.\n\nGitHub: https://git.example.com/ola\n"
    script = parse(text)
    assert script.speakers == ("Maria", "Ola")
    assert [(s.line, s.reason) for s in script.skipped] == [(5, "page chrome: a line of links")]


def test_keep_takes_a_line_back() -> None:
    prepared = _prepare(FAKE + "keep: ['^Written by', '^Get the \\w+ app$']\n")
    skipped = {s.text for s in prepared.script.skipped}
    assert "Written by Ola Nordmann" not in skipped and "Get the Sparrowfeed app" not in skipped
    assert "1.2K Followers" in skipped  # still chrome: a neighbour taken back does not save it
    spoken = " ".join(u.text for u in prepared.plan.units)
    assert "Written by Ola Nordmann" in spoken and "Sparrowfeed" in spoken


def test_keep_is_read_like_skip() -> None:
    with pytest.raises(ConfigError, match=r"line 3.*keep pattern '\(unclosed' is not a valid regular expression"):
        parse_config("keep:\n  - ok\n  - '(unclosed'\n")
    rules = parse_config("keep: ['^Follow$']\n").keep
    assert [r.pattern for r in rules] == ["^Follow$"]
    assert (
        parse("Follow\n\nMaria: Hello.\n", ParseOptions(keep=rules)).turns[0].text == "Follow"
    )  # a first line kept is the title


def test_inspect_lists_the_chrome_under_not_spoken(tmp_path: Path) -> None:
    script = tmp_path / "article.txt"
    script.write_text(ARTICLE, encoding="utf-8")
    voices = tmp_path / "voices.yaml"
    voices.write_text(FAKE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["inspect", str(script), "--voices", str(voices)])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Not spoken:", 1)[1]
    assert "line 4: Follow  (page chrome: a button)" in listed
    assert "line 24: Get the Sparrowfeed app  (page chrome: app-store button)" in listed
    assert "(page chrome: a line of links)" in listed
    assert "line 34: Help Status About Careers Press Blog Privacy Terms Text t...  (page chrome: a menu)" in listed
