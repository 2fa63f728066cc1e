"""Chapter choice: podrender.speech.chapters."""

from __future__ import annotations

import pytest

from podrender.input.script import parse
from podrender.speech.chapters import MAX_TITLE, ChapterPlan, build_chapters, question_title, shorten

INTERVIEW = """Kitchen Talk

Welcome to the show about kitchens.

Host: So, what do you cook on a weekday?

Guest: Mostly soup.

Host: Nice. Why soup, of all things?

Guest: It is cheap.

Host: I see.

[chapter: Lightning round]
Host: Salt or pepper?

Guest: Salt.

That was the show. Thanks for listening.
"""


def plans(chapters: tuple[ChapterPlan, ...]) -> list[tuple[str, int]]:
    return [(c.title, c.first_turn) for c in chapters]


# --- shorten -----------------------------------------------------------------------------------------


def test_shorten_leaves_short_text_alone() -> None:
    assert shorten("What is soup?") == "What is soup?"
    assert shorten("x" * MAX_TITLE) == "x" * MAX_TITLE


def test_shorten_collapses_whitespace() -> None:
    assert shorten("  What   is\n soup? ") == "What is soup?"


def test_shorten_cuts_at_a_phrase_boundary_without_an_ellipsis() -> None:
    text = "Why would anyone spend a whole weekend making stock from scratch when cubes exist?"
    out = shorten(text)
    assert out == "Why would anyone spend a whole weekend making stock?"
    assert len(out) <= MAX_TITLE


def test_shorten_keeps_whole_sentences_that_fit() -> None:
    text = "Welcome to the show about kitchens. Today we cook soup with a chef who has opinions."
    assert shorten(text) == "Welcome to the show about kitchens."


def test_shorten_drops_trailing_punctuation_at_the_cut() -> None:
    out = shorten("alpha beta, gamma delta epsilon", limit=12)
    assert out == "alpha beta"


def test_shorten_one_long_word_is_cut_hard() -> None:
    # The only cut inside a word: a word longer than the limit has no whole-word form.
    out = shorten("y" * 100)
    assert out == "y" * MAX_TITLE


@pytest.mark.parametrize("limit", [5, 20, 37, 60])
def test_shorten_respects_any_limit(limit: int) -> None:
    text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    assert len(shorten(text, limit)) <= limit


# --- question_title -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("So, what do you cook?", "What do you cook?"),
        ("Sure. And how does it work?", "How does it work?"),
        ("Great! So what is next?", "What is next?"),
        ("Okay, well, why now?", "Why now?"),
        ("so how did it start?", "How did it start?"),
        ("I liked that. Where do you live? Tell me.", "Where do you live?"),
        ("First paragraph.\n\nSecond one asks: why?", "Second one asks: why?"),
        ("See (https://example.com/faq?) for more. Really?", "Really?"),
    ],
)
def test_question_title(text: str, title: str) -> None:
    assert question_title(text) == title


def test_question_title_is_none_without_a_question() -> None:
    assert question_title("No question here. None at all!") is None
    assert question_title("") is None


def test_bare_lead_in_word_question_is_kept() -> None:
    # "So" is only stripped as a lead-in when something follows it.
    assert question_title("So?") == "So?"


def test_question_title_is_shortened() -> None:
    long_question = "So, " + " ".join(["what"] * 30) + "?"
    title = question_title(long_question)
    assert title is not None
    assert len(title) <= MAX_TITLE
    assert title.startswith("What what")
    assert title.endswith("what?")  # whole words, still a question, no ellipsis


def test_question_title_keeps_abbreviations_inside_the_sentence() -> None:
    assert question_title("Dr. Lee said so. Do you agree, e.g. with the plan?") == "Do you agree, e.g. with the plan?"


# --- build_chapters -------------------------------------------------------------------------------------


def test_host_policy() -> None:
    script = parse(INTERVIEW)
    assert [t.speaker for t in script.turns] == [None, None, "Host", "Guest", "Host", "Guest", "Host", "Host"] + [
        "Guest",
        None,
    ]
    chapters = build_chapters(script, "Host", "host")
    assert plans(chapters) == [
        ("Introduction", 0),
        ("What do you cook on a weekday?", 2),
        ("Why soup, of all things?", 4),
        ("Lightning round", 7),
        ("Closing", 9),
    ]


def test_host_policy_questions_only_from_the_host() -> None:
    script = parse("Ann: I have no questions.\n\nBen: Do you not? Why?\n\nAnn: No.")
    assert plans(build_chapters(script, "Ann", "host")) == [("Episode", 0)]
    assert plans(build_chapters(script, "Ben", "host")) == [("Introduction", 0), ("Do you not?", 1)]


def test_host_policy_without_opening_narration_starts_with_the_first_question() -> None:
    script = parse("Ann: What is soup?\n\nBen: Liquid food.\n\nAnn: Is it good?\n\nBen: Yes.")
    assert plans(build_chapters(script, "Ann", "host")) == [("What is soup?", 0), ("Is it good?", 2)]


def test_host_policy_without_questions_uses_the_title() -> None:
    script = parse("Soup Notes\n\nAnn: Hello.\n\nBen: Hi.")
    assert plans(build_chapters(script, "Ann", "host")) == [("Soup Notes", 0)]


def test_host_policy_closing_only_after_labeled_turns() -> None:
    script = parse("Just narration, nothing else.\n\nMore narration.")
    assert plans(build_chapters(script, "Ann", "host")) == [("Episode", 0)]


def test_marker_overrides_a_question_chapter() -> None:
    script = parse("Ann: Hi.\n\n## Origins\nAnn: Where did it start?\n\nBen: Here.")
    assert plans(build_chapters(script, "Ann", "host")) == [("Introduction", 0), ("Origins", 1)]


def test_turn_policy_one_chapter_per_turn() -> None:
    script = parse(INTERVIEW)
    chapters = build_chapters(script, "Host", "turn")
    assert [c.first_turn for c in chapters] == list(range(len(script.turns)))
    titles = [c.title for c in chapters]
    assert titles[0] == "Title"
    assert titles[1] == "Narrator: Welcome to the show about kitchens."
    assert titles[2] == "Host: So, what do you cook on a weekday?"
    assert titles[7] == "Lightning round"  # the marker wins
    assert all(len(t) <= MAX_TITLE for t in titles)


def test_marker_policy_only_markers() -> None:
    script = parse(INTERVIEW)
    assert plans(build_chapters(script, "Host", "marker")) == [("Lightning round", 7)]
    assert build_chapters(parse("Ann: What?\n\nBen: Yes."), "Ann", "marker") == ()


def test_none_policy_has_no_chapters() -> None:
    assert build_chapters(parse(INTERVIEW), "Host", "none") == ()


def test_long_marker_titles_are_shortened() -> None:
    script = parse("Ann: Hi.\n\n## " + "very " * 20 + "long\nBen: Yo.")
    (chapter,) = build_chapters(script, "Ann", "marker")
    assert len(chapter.title) <= MAX_TITLE
    assert chapter.title.startswith("very very")
    assert chapter.title.endswith("very")  # whole words, no ellipsis


@pytest.mark.parametrize("policy", ["host", "turn", "marker"])
def test_chapters_are_in_time_order_and_unique(policy: str) -> None:
    chapters = build_chapters(parse(INTERVIEW), "Host", policy)
    starts = [c.first_turn for c in chapters]
    assert starts == sorted(set(starts))
