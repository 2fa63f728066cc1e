"""What a render made: the files, the timeline and the cache's part in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podrender.output.timeline import Timeline
from podrender.speech.prepared import Prepared


@dataclass(frozen=True)
class RenderResult:
    path: Path
    manifest_path: Path
    prepared: Prepared
    timeline: Timeline
    hits: int
    misses: int
    manifest: dict[str, Any]
    sidecars: dict[str, Path] = field(default_factory=dict)
    """The files written beside the episode, by kind (chapters, vtt, srt, notes)."""
