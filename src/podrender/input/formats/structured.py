"""Structured scripts in YAML or JSON, checked against script.schema.json:

    title: Soup Stories
    speakers:
      Ines: {voice: gmw/en-us+f3, rate: 170}
    turns:
      - narration: Welcome to the kitchen.
      - chapter: Stock
      - speaker: Ines
        text: Start with cold water.
      - pause: 1.5
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import yaml

from podrender import yamlnodes
from podrender.config import SpeakerConfig
from podrender.errors import ScriptError
from podrender.input.formats.builder import Builder
from podrender.input.formats.schema import validate, value_of
from podrender.input.script import MAX_TURNS, ParseOptions, Script
from podrender.yamlnodes import Loader


def compose(text: str, name: str) -> tuple[yaml.Node | None, Loader]:
    """The YAML (or JSON) node tree of `text`, or ScriptError naming the line of the mistake. Bounded: at
    most MAX_NODES values, and aliases may not expand it past a few times the file's size."""
    _check_json_turns(text, name)
    root, loader = yamlnodes.compose(text, name, ScriptError, "cannot read the script", max_nodes=yamlnodes.MAX_NODES)
    if root is not None:
        try:
            yamlnodes.expanded_size(root, max(EXPANSION * len(text), 1 << 20))
        except yamlnodes.TooLarge as exc:
            raise ScriptError(exc.message, path=name, line=exc.line) from None
    return root, loader


#: How many times its own size a YAML script may grow by writing out its aliases.
EXPANSION = 4


def _check_json_turns(text: str, name: str) -> None:
    """A JSON script with more than MAX_TURNS turns, refused before the slow, line-keeping parse (json
    reads 18 MB in a fraction of a second; composing it as YAML took over two minutes)."""
    if not text.lstrip().startswith("{"):
        return
    try:
        data = json.loads(text)
    except ValueError:
        return  # the YAML parse names the line of the mistake
    turns = data.get("turns") if isinstance(data, dict) else None
    if isinstance(turns, list) and len(turns) > MAX_TURNS:
        raise ScriptError(f"has {len(turns):,} turns; scripts of up to {MAX_TURNS:,} turns are accepted", path=name)


def _mapping(node: yaml.Node, loader: yaml.SafeLoader) -> dict[str, yaml.Node]:
    assert isinstance(node, yaml.MappingNode)
    return {str(value_of(k, loader)): v for k, v in node.value}


def _voice(name: str, node: yaml.Node, loader: yaml.SafeLoader) -> SpeakerConfig:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        voice = value_of(node, loader)
        return SpeakerConfig(name=name, voice=voice, line=line, voice_line=line if voice else 0)
    fields: dict[str, Any] = {"name": name, "line": line}
    for key, vnode in _mapping(node, loader).items():
        if key == "aliases":
            assert isinstance(vnode, yaml.SequenceNode)
            fields["aliases"] = tuple(str(value_of(a, loader)) for a in vnode.value)
        else:
            fields[key] = value_of(vnode, loader)
            if f"{key}_line" in SpeakerConfig.__dataclass_fields__:
                fields[f"{key}_line"] = vnode.start_mark.line + 1
    if fields.get("volume") is not None:
        fields["volume"] = float(fields["volume"])
    return SpeakerConfig(**fields)


def parse(text: str, options: ParseOptions, name: str = "script") -> Script:
    root, loader = compose(text, name)
    if root is None:
        raise ScriptError("is empty", path=name)
    try:
        return _parse(root, loader, options, name)
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # a value YAML cannot build, e.g. an unknown !tag
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = mark.line + 1 if mark else None
        raise ScriptError(f"cannot read a value: {problem}", path=name, line=at) from None


def _parse(root: yaml.Node, loader: yaml.SafeLoader, options: ParseOptions, name: str) -> Script:
    validate(root, loader, name)
    top = _mapping(root, loader)
    speakers = _mapping(top["speakers"], loader) if "speakers" in top else {}
    voices = tuple(_voice(k, v, loader) for k, v in speakers.items())
    aliases = dict(options.aliases)
    for v in voices:
        aliases.setdefault(v.name.casefold(), v.name)
        for a in v.aliases:
            aliases.setdefault(a.casefold(), v.name)
    b = Builder(ParseOptions(aliases, options.skip, options.qa, options.stage_directions), "script")
    if "title" in top:
        b.title(str(value_of(top["title"], loader)), top["title"].start_mark.line + 1)
    turns = top["turns"]
    assert isinstance(turns, yaml.SequenceNode)
    for item in turns.value:
        fields = _mapping(item, loader)
        line = item.start_mark.line + 1
        if "speaker" in fields:
            said = str(value_of(fields["text"], loader))
            b.label(str(value_of(fields["speaker"], loader)).strip(), said, fields["text"].start_mark.line + 1)
            b.blank()
        elif "narration" in fields:
            b.narrate(str(value_of(fields["narration"], loader)), line)
        elif "chapter" in fields:
            b.chapter(str(value_of(fields["chapter"], loader)), line)
        else:
            b.pause(int(round(float(value_of(fields["pause"], loader)) * 1000)), line)
    return replace(b.build(), voices=voices)

