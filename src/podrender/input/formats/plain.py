"""The plain transcript format (podrender.input.script): labels, narration, `##` chapter markers."""

from __future__ import annotations

from dataclasses import replace

from podrender.input.script import ParseOptions, Script
from podrender.input.script import parse as parse_plain


def parse(text: str, options: ParseOptions) -> Script:
    return replace(parse_plain(text, options), input_format="plain")
