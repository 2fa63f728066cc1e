"""Spoken forms remembered between renders, beside the chunk cache.

Normalizing a script's text is the largest cost of re-rendering a long script after an edit
(measured on the 3-hour benchmark script: about a third of the 1.6 s an all-cached render took),
and all but the edited turn come out the same as last time. The memo maps (text, lexicon) to the
spoken form. Its file name carries a stamp of the normalizer's own source files, so a changed
normalizer starts a fresh memo instead of serving stale forms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from podrender import __version__
from podrender.cache import atomic_write, sealed, unsealed

#: Entries kept in one memo file: those the last render used, then earlier ones, up to this many.
MAX_ENTRIES = 50_000


def normalizer_stamp() -> str:
    """Changes whenever a file of the normalize package (or podrender's version) changes."""
    folder = Path(__file__).parent / "normalize"
    parts = [__version__]
    for path in sorted(folder.glob("*.py")):
        st = path.stat()
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class SpokenMemo:
    """The memo file of one cache folder; used as `with memo.active(): ...`, then `memo.save()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}
        self.added = 0
        try:
            loaded = unsealed(path.read_bytes())
        except OSError:
            loaded = None  # missing, damaged or changed by hand: start empty, it is only a shortcut
        if isinstance(loaded, dict):
            self.known = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)}

    @classmethod
    def in_cache(cls, cache_root: Path) -> SpokenMemo:
        return cls(cache_root / "memo" / f"spoken-{normalizer_stamp()}.json")

    def get(self, key: str) -> str | None:
        value = self.known.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value: str) -> None:
        self.known[key] = value
        self.used[key] = value
        self.added += 1

    @contextmanager
    def active(self) -> Iterator[SpokenMemo]:
        from podrender.speech.normalize.spoken import MEMO

        token = MEMO.set(self)
        try:
            yield self
        finally:
            MEMO.reset(token)

    def save(self) -> None:
        """Write the memo if this render added to it: what it used first, then older entries."""
        if not self.added:
            return
        kept = dict(self.used)
        for key, value in self.known.items():
            if len(kept) >= MAX_ENTRIES:
                break
            kept.setdefault(key, value)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, sealed(kept))
        except OSError:
            pass  # a missed shortcut, not an error: the next render normalizes again
