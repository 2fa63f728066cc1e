"""Read a transcript file into text: encodings, BOMs, binary files and line endings."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from podrender.errors import ScriptError

MAX_SCRIPT_BYTES = 20 * 1024 * 1024


class TooBig(ValueError):
    """read_limited found more than its limit."""


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of `path`, read in blocks and stopped at `limit` + 1 bytes, so a pipe, stdin or a device
    such as /dev/zero cannot make podrender read without end (the size a file claims is not trusted).
    TooBig when there is more; OSError as reading raises it."""
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise TooBig(limit)
    return data


def decode_script(data: bytes, name: str = "script") -> str:
    """Turn raw bytes into text with Unix line endings, or raise ScriptError."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ScriptError(f"is not valid UTF-16 text ({exc.reason})", path=name) from None
        return _clean(text)
    if b"\x00" in data[:8192]:
        raise ScriptError("looks like a binary file, not a text transcript", path=name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        declared = _html_charset(data)
        if declared is not None:
            try:
                if declared in ("latin-1", "iso8859-1", "ascii"):  # as browsers read them (WHATWG Encoding)
                    try:
                        return _clean(data.decode("cp1252"))
                    except UnicodeDecodeError:
                        pass
                return _clean(data.decode(declared))
            except UnicodeDecodeError as bad:
                at = data[: bad.start].count(b"\n") + 1
                raise ScriptError(f"is not valid {declared} text, as its page says it is", path=name, line=at) from None
        line = data[: exc.start].count(b"\n") + 1
        raise ScriptError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8 and try again"
            + _legacy_hint(data, name),
            path=name,
            line=line,
        ) from None
    return _clean(text)


#: `<meta charset="windows-1252">` or `<meta http-equiv="Content-Type" content="text/html; charset=...">`.
_META_CHARSET = re.compile(rb"<meta\b[^>]{0,300}?\bcharset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)


def _html_charset(data: bytes) -> str | None:
    """The encoding an HTML page declares in its first 4 KB (a declaration, not a guess), when Python knows it."""
    head = data[:4096]
    if not re.match(rb"\s*<", head) or not re.search(rb"<(?:html|head|meta)\b", head, re.IGNORECASE):
        return None
    m = _META_CHARSET.search(head)
    if m is None:
        return None
    try:
        return codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None


def _legacy_hint(data: bytes, name: str) -> str:
    """How to convert a file that reads as Windows-1252 (a superset of Latin-1's printable part).

    We do not guess the encoding ourselves: a wrong guess would be read aloud, unnoticed, into the episode.
    """
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return f" (if it is Windows-1252 or Latin-1: iconv -f cp1252 -t utf-8 {name} > utf8.txt)"


#: Invisible characters that copy-and-paste brings along and that would hide a `Name:` label:
#: zero-width space, word joiner, a byte order mark inside the text, and a NUL byte past the first
#: 8 KB (a NUL in the first 8 KB marks a binary file, refused above). ZWJ and ZWNJ are kept
#: (emoji sequences, Persian and Indic spelling need them; normalization removes them later).
_INVISIBLE = str.maketrans({"\u200b": None, "\u2060": None, "\ufeff": None, "\x00": None})


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").translate(_INVISIBLE)


def read_script(path: Path) -> str:
    """Read and decode a transcript file."""
    name = str(path)
    if not path.exists():
        raise ScriptError("no such file", path=name)
    if path.is_dir():
        raise ScriptError("is a directory, not a transcript file", path=name)
    limit_mb = MAX_SCRIPT_BYTES // (1024 * 1024)
    try:
        size = path.stat().st_size
        if size > MAX_SCRIPT_BYTES:
            raise ScriptError(f"is {size // (1024 * 1024)} MB; transcripts up to {limit_mb} MB are accepted", path=name)
        data = read_limited(path, MAX_SCRIPT_BYTES)
    except TooBig:
        too_big = f"is more than {limit_mb} MB; transcripts up to {limit_mb} MB are accepted"
        raise ScriptError(too_big, path=name) from None
    except OSError as exc:
        raise ScriptError(f"cannot be read ({exc.strerror})", path=name) from None
    if not data:
        raise ScriptError("is empty", path=name)
    text = decode_script(data, name)
    if not text.strip():
        raise ScriptError("has only whitespace", path=name)
    return text
