"""The pronunciation lexicon: case rule, precedence, phoneme input, and files voices.yaml includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from podrender.config import load_config, parse_config
from podrender.errors import ConfigError
from podrender.pipeline import prepare
from podrender.speech.normalize import apply_lexicon, spoken_text

# --- case rule -------------------------------------------------------------------------------------------


def test_lower_case_entry_matches_any_case() -> None:
    lexicon = [("pytorch", "pie torch")]
    assert apply_lexicon("PyTorch, pytorch, PYTORCH and PyTorches", lexicon) == (
        "pie torch, pie torch, pie torch and PyTorches"
    )


def test_entry_with_capitals_matches_exactly() -> None:
    lexicon = [("Rush", "Rush the surname")]
    assert apply_lexicon("Rush said: no rush, RUSH.", lexicon) == "Rush the surname said: no rush, RUSH."


def test_exact_entry_wins_over_any_case_entry_of_the_same_length() -> None:
    lexicon = [("NLP", "N L P"), ("nlp", "natural language processing")]
    assert apply_lexicon("NLP and Nlp and nlp", lexicon) == (
        "N L P and natural language processing and natural language processing"
    )


def test_longest_entry_wins_whatever_its_case() -> None:
    lexicon = [("Hugging", "hugging"), ("hugging face", "hugging face, the company")]
    assert apply_lexicon("Hugging Face hugs", lexicon) == "hugging face, the company hugs"


def test_entry_with_a_smart_quote_matches_the_cleaned_text() -> None:
    assert spoken_text("Alexander’s work and Alexander's talk", [("Alexander’s", "Sasha's")]) == (
        "Sasha's work and Sasha's talk"
    )


def test_later_entry_for_the_same_word_wins() -> None:
    assert apply_lexicon("NLP", [("NLP", "one"), ("NLP", "two")]) == "two"


def test_respelling_is_not_respelled() -> None:
    lexicon = [("A", "B"), ("B", "C")]
    assert apply_lexicon("A B", lexicon) == "B C"


# --- the lexicon runs before the number and acronym rules and is final ----------------------------------------


def test_lexicon_overrides_acronym_and_number_rules() -> None:
    assert spoken_text("GPU and NASA in 1984") == "G-P-U and Nasa in nineteen eighty four"
    lexicon = [("GPU", "graphics card"), ("NASA", "N A S A"), ("1984", "the year of the novel")]
    assert spoken_text("GPU and NASA in 1984", lexicon) == "graphics card and N A S A in the year of the novel"


def test_respelling_is_left_alone_by_later_rules() -> None:
    # "2" in a respelling stays a digit and "AI" is not spelled: the author of the entry decides.
    assert spoken_text("Use ICLR", [("ICLR", "I clear 2 AI")]) == "Use I clear 2 AI"


def test_phoneme_input_passes_through_untouched() -> None:
    text = "Say [[h@l'oU]] to 2 NLP folks, [[r'VS]] & co."
    assert spoken_text(text) == "Say [[h@l'oU]] to two N-L-P folks, [[r'VS]] and co."


def test_phoneme_respelling_passes_through_untouched() -> None:
    assert spoken_text("Ask Rush.", [("Rush", "[[r'VS]]")]) == "Ask [[r'VS]]."
    assert spoken_text("[[]] and [[3:2]]") == "[[]] and [[3:2]]"


# --- speaker over global, through the whole plan -----------------------------------------------------------

VOICES = """\
engine: fake
pronounce:
  NLP: N L P
  SQL: S Q L
  pytorch: pie torch
speakers:
  Maya: {voice: fake/high, pronounce: {SQL: sequel, nlp: natural language processing}}
  Tom: fake/low
"""
SCRIPT = "Maya: NLP and SQL in PyTorch.\n\nTom: NLP and SQL in PyTorch.\n"


def test_speaker_entries_win_over_global_ones_in_the_plan() -> None:
    plan = prepare(SCRIPT, parse_config(VOICES)).plan
    said = {u.speaker: u.text for u in plan.units}
    # Maya's "SQL" replaces the global one; her lower-case "nlp" and the global exact "NLP" are the same
    # length, so the exact one wins (see the case rule); the global "pytorch" applies to both.
    assert said["Maya"] == "N L P and sequel in pie torch."
    assert said["Tom"] == "N L P and S Q L in pie torch."


# --- files that voices.yaml includes ---------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_pronounce_files_are_read_relative_to_voices_yaml(tmp_path: Path) -> None:
    write(tmp_path, "lex/names.yaml", "Rush: Russh\nSayak: Sigh yak\nNLP: from the file\n")
    write(tmp_path, "lex/tom.yaml", "SQL: squeal\n")
    voices = write(
        tmp_path,
        "config/voices.yaml",
        "pronounce_files: [../lex/names.yaml]\npronounce: {NLP: N L P}\n"
        "speakers:\n  Tom: {pronounce_files: ../lex/tom.yaml, pronounce: {Rush: Roosh}}\n",
    )
    config = load_config(voices)
    # inline entries win over the files' entries for the same word
    assert dict(config.pronounce) == {"Rush": "Russh", "Sayak": "Sigh yak", "NLP": "N L P"}
    tom = config.speaker("Tom")
    assert tom is not None
    assert dict(tom.pronounce) == {"SQL": "squeal", "Rush": "Roosh"}


def test_later_file_wins_over_an_earlier_one(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "NLP: a\nSQL: a\n")
    write(tmp_path, "b.yaml", "NLP: b\n")
    config = load_config(write(tmp_path, "voices.yaml", "pronounce_files:\n  - a.yaml\n  - b.yaml\n"))
    assert dict(config.pronounce) == {"NLP": "b", "SQL": "a"}


def error_of(tmp_path: Path, voices: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "voices.yaml", voices))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_pronounce_file_names_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, "engine: fake\npronounce_files:\n  - nope.yaml\n")
    assert message == f"{tmp_path / 'voices.yaml'} line 3: pronounce_files: 'nope.yaml' does not exist"


def test_missing_speaker_pronounce_file_names_the_speaker(tmp_path: Path) -> None:
    message = error_of(tmp_path, "speakers:\n  Tom:\n    pronounce_files: [gone.yaml]\n")
    assert message.endswith("line 3: speaker 'Tom': pronounce_files: 'gone.yaml' does not exist")


@pytest.mark.parametrize(
    ("lexicon", "line", "problem"),
    [
        ("NLP: N L P\nSQL: [S, Q, L]\n", 2, "pronounce entry 'SQL' must be a single value"),
        ("NLP: N L P\nbad: 'open\n", 3, "quoted scalar that starts on line 2"),
        ("- NLP\n- SQL\n", 1, "pronounce must be a mapping"),
        ("Rush: \"[[r'VS\"\n", 1, "unbalanced phoneme brackets"),
        ("Rush: '[[r]] ]] x'\n", 1, "unbalanced phoneme brackets"),
        ("NLP: a\nNLP: b\n", 2, "key 'NLP' appears twice"),
    ],
)
def test_malformed_pronounce_file_names_its_own_line(tmp_path: Path, lexicon: str, line: int, problem: str) -> None:
    write(tmp_path, "lexicon.yaml", lexicon)
    message = error_of(tmp_path, "pronounce_files: [lexicon.yaml]\n")
    assert message.startswith(f"{tmp_path / 'lexicon.yaml'} line {line}: "), message
    assert problem in message


def test_pronounce_file_that_is_not_text(tmp_path: Path) -> None:
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00bad")
    message = error_of(tmp_path, "pronounce_files: bin.yaml\n")
    assert message.endswith("line 1: pronounce_files: 'bin.yaml' is not UTF-8 text")


def test_pronounce_files_must_be_text_names(tmp_path: Path) -> None:
    assert "pronounce_files item must be text" in error_of(tmp_path, "pronounce_files: [3]\n")


def test_pronounce_files_refused_from_the_web_page() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("pronounce_files: [lexicon.yaml]\n", "voices.yaml", allow_files=False)
    assert str(info.value) == (
        "voices.yaml line 1: pronounce_files is not allowed here (voices.yaml from the web page cannot name files)"
    )


def test_phoneme_brackets_in_a_word_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("pronounce:\n  '[[x]]': y\n")
    assert "line 2" in str(info.value) and "belong in the respelling" in str(info.value)


def test_empty_pronounce_file_adds_nothing(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "# nothing yet\n")
    config = load_config(write(tmp_path, "voices.yaml", "pronounce_files: [empty.yaml]\npronounce: {a: b}\n"))
    assert config.pronounce == (("a", "b"),)
