"""The plain transcript format (podrender.script): labels, narration, `##` chapter markers."""

from __future__ import annotations

from dataclasses import replace

from podrender.script import ParseOptions, Script
from podrender.script import parse as parse_plain


def parse(text: str, options: ParseOptions) -> Script:
    return replace(parse_plain(text, options), input_format="plain")
