"""Radio and Q&A transcripts: `JOHN SMITH: text`, `MR. SMITH:`, `DR. JONES:`, and `Q:` / `A:`.

Labels are matched case-insensitively (`JOHN SMITH` and `John Smith` are one speaker, shown as
`John Smith`); honorific dots do not matter (`DR JONES` = `Dr. Jones`). `Q` and `A` stand for the
speakers voices.yaml's `qa` names (default: the host, else `Host`; and `Guest`). Web page chrome
(podrender.input.boilerplate) is left out, as in plain transcripts and Markdown.
"""

from __future__ import annotations

from podrender.input.formats.labeled import parse_labeled
from podrender.input.script import ParseOptions, Script


def parse(text: str, options: ParseOptions) -> Script:
    return parse_labeled(text, options, "radio", chrome=True).build()
