"""Chapter choice: podrender.speech.chapters."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- titles a person would write --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # a "my next question" lead-in, then a direct question with a filler adverb
        (
            "Great. My follow-up question would be how do you usually choose the baselines you compare against "
            "in a new paper?",
            "How do you choose the baselines you compare against?",
        ),
        # "about X" after a lead-in is a topic, not a question
        ("Thanks for that. My next question is about your time at the startup before you joined the lab?",
         "Your time at the startup before you joined the lab"),
        ("I wanted to ask you about the compiler you wrote during your PhD, the one that targets GPUs?",
         "The compiler you wrote during your PhD"),
        ("Could you tell us about the dataset your team released last spring and how people have used it since?",
         "The dataset your team released last spring"),
        # the question after a dash wins over the request before it
        ("Maybe you could start by telling us a bit about yourself — how did you end up working on speech "
         "recognition?", "How did you end up working on speech recognition?"),
        ("Let's talk about open source. Why did you decide to release the toolkit under a permissive license?",
         "Why did you decide to release the toolkit?"),
        # indirect questions back to direct ones
        ("I'm curious whether you think benchmarks still tell us anything useful about real-world model quality?",
         "Do you think benchmarks still tell us anything useful?"),
        ("My last question is whether you have any advice for students who want to get into robotics research?",
         "Do you have any advice for students?"),
        ("I would like to ask how you keep up with the flood of papers that come out every single week on arXiv?",
         "How do you keep up with the flood of papers?"),
        ("Sure. I was wondering if you could explain the difference between pruning and distillation for our "
         "listeners?", "The difference between pruning and distillation"),
        # an indirect question no simple rule turns around stays a topic
        ("Could you share how your team handles code review when most of the researchers are not trained engineers?",
         "How your team handles code review"),
        ("Would you like to share what you learned from running the workshop at NeurIPS for three years in a row?",
         "What you learned from running the workshop at NeurIPS"),
        # fillers go, "look like" stays whole
        ("So, what does a normal week in your research group actually look like for a first-year student?",
         "What does a normal week in your research group look like?"),
        ("Now, how do you really decide when an experiment has failed and when it just needs more tuning?",
         "How do you decide when an experiment has failed?"),
        # a list is not cut in the middle
        ("Can you tell us how you split your time between teaching, research, and advising startups?",
         "How do you split your time?"),
        ("Okay, and which programming languages do you think are going to matter most for machine learning in ten "
         "years?", "Which programming languages will matter most?"),
        ("That's fascinating. What kind of hardware do you basically need to reproduce the results from your paper?",
         "What kind of hardware do you need to reproduce the results?"),
        # a fronted clause gives way to the question
        ("Interesting! When you were writing the book, how did you decide which topics to leave out?",
         "How did you decide which topics to leave out?"),
        ("I'm curious about the decision to move from academia to industry and back again?",
         "The decision to move from academia to industry"),
        ("Why do so many reinforcement learning results fail to replicate when another lab tries them on new seeds?",
         "Why do so many reinforcement learning results fail?"),
        ("What is the hardest bug you have ever tracked down in a distributed training job, and how long did it take?",
         "What is the hardest bug you have ever tracked down?"),
        # names and acronyms as written; a short question is left alone
        ("Did the GPU shortage change what your lab at MIT could try?",
         "Did the GPU shortage change what your lab at MIT could try?"),
        # a clause that has not reached its verb is not cut inside
        ("So how did the GPU shortage change what your lab at MIT could try?", "How did the GPU shortage change?"),
    ],
)  # fmt: skip
def test_titles_a_person_would_write(text: str, title: str) -> None:
    assert question_title(text) == title


def test_the_part_before_a_dash_stays_when_the_part_after_is_no_question() -> None:
    text = "Which do you cook more often — soup or stew?"
    assert question_title(text) == text


def test_a_lead_in_alone_is_not_stripped_to_nothing() -> None:
    assert question_title("Could you tell us?") == "Could you tell us?"
    assert question_title("Thanks. Any questions?") == "Any questions?"


def test_turn_titles_keep_whole_sentences() -> None:
    script = parse("Ann: Welcome back to the show. Today we talk with a baker about sourdough and rye.\n\nBen: Hi.")
    titles = [c.title for c in build_chapters(script, "Ann", "turn")]
    assert titles[0] == "Ann: Welcome back to the show."


_LEAD_INS = ["", "So, ", "Thanks for that. ", "Great. My next question would be ", "I wanted to ask you ",
             "Could you tell us a bit about ", "I'm curious whether ", "Now, ", "Maybe you could start by "]
_OPENERS = ["how do you typically", "what made you", "why did your team", "which of the projects you", "whether you",
            "the way you", "how you", "when did you first"]
_WORDS = ["design", "experiments", "actually", "really", "kind", "of", "models", "datasets", "NLP", "pruning",
          "and", "or", "that", "which", "because", "for", "example", "in", "the", "future", "with", "students",
          "open-source", "just", "research,", "teaching,", "Cornell", "supercalifragilistic", "a", "to", "about"]


@settings(max_examples=300, deadline=None, database=None)
@given(
    lead=st.sampled_from(_LEAD_INS),
    opener=st.sampled_from(_OPENERS),
    words=st.lists(st.sampled_from(_WORDS), min_size=3, max_size=40),
    dash=st.booleans(),
)
def test_no_title_is_too_long_ellipsized_or_cut_mid_word(lead: str, opener: str, words: list[str], dash: bool) -> None:
    text = lead + opener + " " + " ".join(words) + ("" if not dash else " — what do you " + " ".join(words)) + "?"
    title = question_title(text)
    assert title is not None
    assert 0 < len(title) <= MAX_TITLE
    assert "…" not in title and not title.endswith("...")
    input_words = {w.lower() for w in re.findall(r"[\w'’-]+", text)}
    last = re.findall(r"[\w'’-]+", title)[-1].lower()
    assert last in input_words  # the title ends on a whole word of the question
    assert title[0] == title[0].upper()


@settings(max_examples=200, deadline=None, database=None)
@given(words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=40), limit=st.integers(12, 80))
def test_shorten_ends_on_a_whole_word(words: list[str], limit: int) -> None:
    text = " ".join(words)
    out = shorten(text, limit)
    assert len(out) <= limit and "…" not in out
    assert out.split()[-1].strip(",") in {w.strip(",") for w in words} or len(text.split()) == 1


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
