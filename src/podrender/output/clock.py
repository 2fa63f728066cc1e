"""Times as people read them, in every place podrender prints or writes one."""

from __future__ import annotations


def precise(ms: int, separator: str = ".") -> str:
    """`HH:MM:SS.mmm` (WebVTT, Vorbis chapters) or, with separator ",", `HH:MM:SS,mmm` (SRT)."""
    s, milli = divmod(max(ms, 0), 1000)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{separator}{milli:03d}"


def short(ms: float, *, floor: bool = False, two_digit_minutes: bool = False) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on. Rounded to the nearest second, or rounded down with `floor`
    (a jump to a chapter then lands before it); `two_digit_minutes` writes `mm:ss` under an hour."""
    s = int(max(ms, 0) // 1000) if floor else int(round(ms / 1000))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60:02d}:{s % 60:02d}" if two_digit_minutes else f"{s // 60}:{s % 60:02d}"
