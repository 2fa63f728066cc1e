"""The manifest beside each episode (`<name>.json`): the timeline of turns and chapters, the
measured loudness, the settings and the podrender version. Its shape is documented in docs/output-files.md."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podrender import __version__
from podrender.audio.encode import LAME_QUALITY, encoder_name
from podrender.cache import atomic_write
from podrender.errors import OutputError
from podrender.output.timeline import Timeline

if TYPE_CHECKING:
    from podrender.speech.prepared import Prepared

MANIFEST_VERSION = 1


def _num(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


def build_manifest(prepared: Prepared, timeline: Timeline, cached: Mapping[int, bool], target: Path) -> dict[str, Any]:
    plan = prepared.plan
    script = prepared.script
    turns: list[dict[str, Any]] = []
    for unit, placed in zip(plan.units, timeline.placed, strict=True):
        if turns and turns[-1]["index"] == unit.turn:
            entry = turns[-1]
            entry["end_ms"] = placed.end_ms
            entry["spoken"] += " " + unit.text
            entry["units"] += 1
            hit = cached[unit.index]
            if entry["cache"] != ("hit" if hit else "miss"):
                entry["cache"] = "partial"
            continue
        turn = script.turns[unit.turn]
        turns.append(
            {
                "index": unit.turn,
                "line": turn.line,
                "speaker": unit.speaker,
                "narration": turn.speaker is None,
                "voice": unit.voice.voice,
                "text": turn.text,
                "spoken": unit.text,
                "start_ms": placed.start_ms,
                "end_ms": placed.end_ms,
                "units": 1,
                "cache": "hit" if cached[unit.index] else "miss",
            }
        )
    unit_turn = {u.index: u.turn for u in plan.units}
    roles = [prepared.cast.narrator, *prepared.cast.roles]
    return {
        "manifest_version": MANIFEST_VERSION,
        "podrender_version": __version__,
        "title": prepared.title,
        "file": target.name,
        "source": prepared.source,
        "duration_ms": timeline.duration_ms,
        "loudness": {
            "integrated_lufs": _num(timeline.loudness),
            "true_peak_dbtp": _num(timeline.true_peak),
            "target_lufs": plan.audio.loudness,
            "ceiling_dbtp": plan.audio.true_peak,
        },
        "settings": {
            "engine": prepared.config.engine,
            **asdict(plan.audio),
            "codec": "mp3",
            "encoder": encoder_name(),
            "lame_quality": LAME_QUALITY,
            "pause_ms": prepared.config.pause_ms,
            "chapter_pause_ms": prepared.config.chapter_pause_ms,
            "chapters": prepared.policy,
        },
        "speakers": [
            {
                "name": r.name,
                "narrator": r is prepared.cast.narrator,
                "engine": r.voice.engine,
                "voice": r.voice.voice,
                "rate": r.voice.rate,
                "pitch": r.voice.pitch,
                "fallback": r.fallback,
                # engine-specific settings (piper: which model file, which speaker in it, how slow)
                **({k: r.voice.option(k) for k in ("model", "speaker_id", "length_scale")}
                   if r.voice.option("model") else {}),
                **{k: v for k, v in r.voice.options if k not in ("model", "speaker_id", "length_scale")},
            }
            for r in roles
        ],
        "chapters": [
            {"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms, "first_turn": unit_turn[c.first_unit]}
            for c in timeline.chapters
        ],
        "turns": turns,
        "skipped": [{"line": s.line, "text": s.text, "reason": s.reason} for s in script.skipped],
    }


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    try:
        atomic_write(path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    except OSError as exc:
        raise OutputError(f"cannot write the manifest ({exc.strerror})", path=str(path)) from None


def add_outputs(
    manifest: dict[str, Any],
    *,
    fmt: str,
    codec: str,
    mime: str,
    audio: Path,
    size: int,
    sidecars: Mapping[str, Path],
    description: str | None,
    format_bitrate: int | None = None,
) -> dict[str, Any]:
    """Record the episode's audio format and every file written beside it (names relative to the manifest)."""
    manifest["description"] = description
    manifest["format"] = fmt
    manifest["mime_type"] = mime
    manifest["size_bytes"] = size
    manifest["settings"]["codec"] = codec
    if format_bitrate is not None:
        manifest["settings"]["format_bitrate"] = format_bitrate
    manifest["files"] = {"audio": audio.name, **{kind: path.name for kind, path in sidecars.items()}}
    return manifest
