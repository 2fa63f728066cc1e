"""prepare(edits=...): a turn's written text replaced after parsing, whatever the input format."""

from __future__ import annotations

import pytest

from podrender import ScriptError, parse_config, prepare

MARKDOWN = """\
---
title: Shade Garden
---

## Ferns

**Iris:** What grows best in the shade?

**Owen:** Ferns, mostly.
"""
PLAY = """\
THE GARDEN

IRIS
    What grows in the shade?

OWEN
    Ferns, mostly.
"""


@pytest.mark.parametrize(("text", "source"), [(MARKDOWN, "talk.md"), (PLAY, "garden.txt")])
def test_an_edit_replaces_one_turn_and_keeps_the_rest(text: str, source: str) -> None:
    config = parse_config("engine: fake\n")
    before = prepare(text, config, source=source)
    owen = next(t for t in before.script.turns if t.text.startswith("Ferns"))
    after = prepare(text, config, source=source, edits={owen.index: "Ferns,   mostly.\n\n  And hostas."})
    assert after.script.turns[owen.index].text == "Ferns, mostly.\n\nAnd hostas."
    changed = [
        (a.text, b.text) for a, b in zip(before.plan.units, after.plan.units, strict=True) if a.key != b.key
    ]
    assert len(changed) == 1 and "hostas" in changed[0][1]
    assert after.script.input_format == before.script.input_format


@pytest.mark.parametrize(
    ("edits", "message"),
    [({7: "Hi."}, "edit of turn 8: there is no such turn"), ({1: "\n \n"}, "edit of turn 2: the new text is empty")],
)
def test_a_bad_edit_is_a_script_error(edits: dict[int, str], message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        prepare(MARKDOWN, parse_config("engine: fake\n"), source="talk.md", edits=edits)
