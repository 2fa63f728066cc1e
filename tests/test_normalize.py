"""What the engine is asked to say: podrender.normalize."""

from __future__ import annotations

import pytest

from podrender.normalize import apply_lexicon, sentences, split_for_engine, spoken_text

# --- URLs, e-mail, handles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Read https://example.com/posts/1 tonight.", "Read example dot com tonight."),
        ("Read http://www.example.com now", "Read example dot com now"),
        ("Go to www.example.org/about.", "Go to example dot org."),
        ("Visit https://blog.example.co.uk:8080/a?b=1, then rest.", "Visit blog dot example dot co dot uk, then rest."),
        ("It is at HTTPS://EXAMPLE.COM/X!", "It is at example dot com!"),
    ],
)
def test_url_is_read_as_its_site(text: str, said: str) -> None:
    assert spoken_text(text) == said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("The paper (https://example.com/paper.pdf) says so.", "The paper says so."),
        ("See the notes (www.example.com/notes).", "See the notes."),
        ("(https://example.com/x) Then we start.", "Then we start."),
    ],
)
def test_url_in_parentheses_is_dropped(text: str, said: str) -> None:
    assert spoken_text(text) == said


def test_email_and_handles_are_read_out() -> None:
    assert spoken_text("Write to jo.smith@mail.example.org today.") == (
        "Write to jo dot smith at mail dot example dot org today."
    )
    assert spoken_text("Thanks @soup_fan and @chef!") == "Thanks at soup fan and at chef!"


def test_at_sign_alone_is_left_alone() -> None:
    assert spoken_text("me@ home") == "me@ home"


# --- emoticons, emoji, symbols ---------------------------------------------------------------------------


@pytest.mark.parametrize("face", [":)", ":-)", ";)", ":D", ":P", "<3", "^_^", ":(", "=]"])
def test_emoticons_are_removed(face: str) -> None:
    assert spoken_text(f"That was fun {face} really.") == "That was fun really."


def test_emoticon_at_the_end_leaves_no_stray_punctuation() -> None:
    assert spoken_text("See you soon :)") == "See you soon"


def test_colon_in_times_and_ratios_is_read() -> None:
    assert spoken_text("Meet at 10:30, ratio 3:2.") == "Meet at ten thirty, ratio three to two."


@pytest.mark.parametrize(
    "text",
    [
        "Great job 👍 team",
        "Great job 👍🏽 team",
        "Great job 👨\u200d👩\u200d👧 team",
        "Great job ❤️ team",
        "Great job 🎉🎉🎉 team",
    ],
)
def test_emoji_are_removed(text: str) -> None:
    assert spoken_text(text) == "Great job team"


def test_number_eight_before_a_parenthesis_is_kept() -> None:
    assert spoken_text("Pick a number (1 to 8) and say it.") == "Pick a number (one to eight) and say it."


def test_degree_sign_is_not_an_emoji() -> None:
    out = spoken_text("It was 25°C outside.")
    assert "°" in out or "degree" in out


# --- quotes, dashes, ampersands ----------------------------------------------------------------------


def test_smart_quotes_become_plain() -> None:
    assert spoken_text("“Soup,” she said, ‘is life’ — isn’t it?") == "\"Soup,\" she said, 'is life', isn't it?"


def test_ellipsis_character_becomes_dots() -> None:
    assert spoken_text("Well… maybe") == "Well... maybe"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Soup — the best food — is warm.", "Soup, the best food, is warm."),
        ("Soup—warm", "Soup, warm"),
        ("Soup – warm", "Soup, warm"),
        ("Soup -- warm", "Soup, warm"),
        ("Soup - warm", "Soup, warm"),
    ],
)
def test_dash_between_words_is_a_comma_pause(text: str, said: str) -> None:
    assert spoken_text(text) == said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Chapters 1–5 are free.", "Chapters one to five are free."),
        ("From 1990 — 2000.", "From nineteen ninety to two thousand."),
        ("Pages 10—12", "Pages ten to twelve"),
    ],
)
def test_dash_between_numbers_is_to(text: str, said: str) -> None:
    assert spoken_text(text) == said


def test_hyphenated_words_are_kept() -> None:
    assert spoken_text("A well-known, long-running show.") == "A well-known, long-running show."


def test_ampersand_and_pipe() -> None:
    assert spoken_text("Salt & pepper | Oil") == "Salt and pepper, Oil"


# --- markup ------------------------------------------------------------------------------------------


def test_inline_code_is_read_as_words() -> None:
    assert spoken_text("Then call `model.fit()` on it.") == "Then call model dot fit on it."
    assert spoken_text("Set `max_len` first.") == "Set max len first."


def test_markdown_emphasis_links_and_images() -> None:
    text = "This is **very** _really_ *good*, see [the docs](https://example.com/docs) and ![a cat](cat.png)."
    assert spoken_text(text) == "This is very really good, see the docs and a cat."


def test_html_tags_and_comments_are_removed() -> None:
    assert spoken_text("<p>Hello <b>there</b><!-- hidden --></p>") == "Hello there"


def test_snake_case_words_keep_their_parts() -> None:
    assert "foobarbaz" not in spoken_text("Call foo_bar_baz twice.")


# --- control and zero-width characters, paragraphs ---------------------------------------------------------


def test_zero_width_and_control_characters_are_removed() -> None:
    assert spoken_text("so\u200bup\u00ad is\x07 warm\u2060.") == "soup is warm."


def test_paragraphs_are_kept_and_lines_joined() -> None:
    assert spoken_text("One\ntwo\n\n\n  Three  \n") == "One two\n\nThree"


def test_paragraph_with_nothing_to_say_is_dropped() -> None:
    assert spoken_text("Hello.\n\n:) 🎉\n\n(https://example.com)\n\nBye.") == "Hello.\n\nBye."
    assert spoken_text("🎉 :)") == ""


# --- lexicon -----------------------------------------------------------------------------------------


def test_lexicon_entry_with_capitals_matches_exactly_and_whole_words() -> None:
    lexicon = [("NLP", "N L P")]
    assert apply_lexicon("NLP, NLPs, nlp and (NLP).", lexicon) == "N L P, NLPs, nlp and (N L P)."
    assert apply_lexicon("ANLP is not NLP", lexicon) == "ANLP is not N L P"


def test_lexicon_longest_entry_wins() -> None:
    lexicon = [("SoTA", "state of the art"), ("SoTA models", "the best models")]
    assert apply_lexicon("SoTA models beat SoTA", lexicon) == "the best models beat state of the art"


def test_lexicon_entries_with_symbols() -> None:
    assert apply_lexicon("I like C++ and C.", [("C++", "C plus plus")]) == "I like C plus plus and C."


def test_lexicon_replacement_is_literal() -> None:
    assert apply_lexicon("use ICLR", [("ICLR", r"I clear \1")]) == r"use I clear \1"


def test_lexicon_applies_after_markup_is_removed() -> None:
    assert spoken_text("**NLP** rocks", [("NLP", "N L P")]) == "N L P rocks"


# --- sentences --------------------------------------------------------------------------------------


def test_sentences_keep_abbreviations_inside() -> None:
    text = "We used apples, pears, etc. in the pie. I met Dr. Lee there. He likes fruit, e.g. Plums. Done!"
    assert sentences(text) == [
        "We used apples, pears, etc. in the pie.",
        "I met Dr. Lee there.",
        "He likes fruit, e.g. Plums.",
        "Done!",
    ]


def test_sentences_split_on_question_and_exclamation() -> None:
    assert sentences("Why? Because! 3 reasons. ok") == ["Why?", "Because!", "3 reasons. ok"]


def test_sentences_initials_stay_together() -> None:
    assert sentences("J. R. R. Tolkien wrote it. Then more.") == ["J. R. R. Tolkien wrote it.", "Then more."]


def test_sentences_of_blank_text() -> None:
    assert sentences("") == []
    assert sentences("   ") == []


def test_sentences_keep_closing_quotes() -> None:
    assert sentences('She said "Stop." Then he left.') == ['She said "Stop."', "Then he left."]


# --- split_for_engine ------------------------------------------------------------------------------------


def test_split_for_engine_short_text_is_untouched() -> None:
    assert split_for_engine("Short. Text.", 100) == ["Short. Text."]


def test_split_for_engine_packs_sentences() -> None:
    text = "One two. Three four. Five six seven eight nine ten eleven twelve."
    pieces = split_for_engine(text, 20)
    assert pieces[0] == "One two. Three four."
    assert all(len(p) <= 20 for p in pieces)
    assert " ".join(pieces) == text


def test_split_for_engine_prefers_commas() -> None:
    text = "alpha beta gamma, delta epsilon zeta eta theta"
    assert split_for_engine(text, 30) == ["alpha beta gamma,", "delta epsilon zeta eta theta"]
