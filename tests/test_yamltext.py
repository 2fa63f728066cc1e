"""YAML line numbers are the editor's: NEL and the Unicode separators do not start a line."""

from __future__ import annotations

import pytest
import yaml

from podrender.config import Config, parse_config
from podrender.errors import PodrenderError
from podrender.input.formats import parse_options, parse_script
from podrender.yamlnodes import Loader

BREAKERS = ["\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("odd", BREAKERS)
def test_values_are_the_same_as_pyyaml_gives(odd: str) -> None:
    text = f'title: "a{odd}b"\nturns:\n  - speaker: Ann\n    text: \'one{odd}two\'\n  - pause: 2\n'

    loader = Loader(text)
    try:
        assert loader.get_single_data() == yaml.safe_load(text)
    finally:
        loader.dispose()


@pytest.mark.parametrize("odd", BREAKERS)
def test_node_lines_count_only_newlines(odd: str) -> None:
    text = f"a: 1{odd}{odd}\nb: 2\nc: 3\n"
    loader = Loader(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    assert isinstance(root, yaml.MappingNode)
    assert [k.start_mark.line + 1 for k, _ in root.value] == [1, 2, 3]


@pytest.mark.parametrize("odd", BREAKERS)
def test_script_error_names_the_editor_line(odd: str) -> None:
    with pytest.raises(PodrenderError) as caught:
        parse_script(f"{odd}{odd}0", parse_options(Config()), name="talk.json")
    assert str(caught.value) == "talk.json line 1: must be a mapping, not a whole number"


def test_config_lines_are_the_editor_lines() -> None:
    config = parse_config("speakers:\n  Ann: f3\u2028\u2028\n  Ben: m3\n", "voices.yaml")
    assert [(s.name, s.line) for s in config.speakers] == [("Ann", 2), ("Ben", 3)]
    with pytest.raises(PodrenderError) as caught:
        parse_config("speakers:\n  Ann: f3\x85\x85\n  Ben: {\n", "voices.yaml")
    assert str(caught.value).startswith("voices.yaml line 4: invalid YAML"), str(caught.value)
