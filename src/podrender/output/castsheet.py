"""The cast sheet shown by `podrender inspect`: the same decisions a render makes, without audio."""

from __future__ import annotations

from collections import Counter
from typing import Any

from podrender.engines import get_engine
from podrender.output.clock import short
from podrender.speech.prepared import Prepared

DEFAULT_WPM = 175
#: Under "Not spoken", a reason given for more lines than this shows its first few and a count (the JSON
#: sheet lists every line).
MAX_SKIPPED_SHOWN = 8
FIRST_SKIPPED_SHOWN = 3


def cast_sheet(prepared: Prepared) -> dict[str, Any]:
    """The stable JSON shape of `inspect --json` (documented in docs/output-files.md)."""
    script, cast = prepared.script, prepared.cast
    speakers = []
    for role in (cast.narrator, *cast.roles):
        narrator = role is cast.narrator
        turns = [t for t in script.turns if (t.speaker is None if narrator else t.speaker == role.name)]
        words = sum(len(t.text.split()) for t in turns)
        if narrator and not turns:
            continue
        speakers.append(
            {
                "name": role.name,
                "narrator": narrator,
                "voice": role.voice.voice,
                "fallback": role.fallback,
                "gender": role.gender,
                "rate": role.voice.rate,
                "pitch": role.voice.pitch,
                "pitch_hz": round(role.pitch_hz) if role.pitch_hz else None,
                "why": role.why,
                "heard_as": role.heard_as,
                "engine": role.voice.engine,
                "tunable": get_engine(role.voice.engine).tunable,
                "aliases": list(role.aliases),
                "turns": len(turns),
                "words": words,
                "estimated_seconds": round(words * 60 / (role.voice.rate or DEFAULT_WPM)),
            }
        )
    narrator_name = cast.narrator.name
    warnings = list(cast.warnings) + [f"line {line}: {why}" for line, why in prepared.plan.dropped]
    return {
        "title": prepared.title,
        "source": prepared.source,
        "format": {"name": script.input_format, "detected": script.detected_by},
        "engine": prepared.config.engine,
        "host": cast.host,
        "chapter_policy": prepared.policy,
        "speakers": speakers,
        "turns": [
            {"index": t.index, "speaker": t.speaker or narrator_name, "text": t.text, "line": t.line}
            for t in script.turns
        ],
        "folds": [{"label": f.label, "into": f.into, "reason": f.reason} for f in script.folds],
        "chapters": [{"title": c.title, "turn": c.first_turn} for c in prepared.chapters],
        "skipped": [{"line": s.line, "text": s.text, "reason": s.reason} for s in script.skipped],
        "warnings": warnings,
        "estimated_seconds": sum(s["estimated_seconds"] for s in speakers),
    }


def _voice_detail(s: dict[str, Any]) -> str:
    """'pitch 40, rate 175 wpm, male ~98 Hz; from voices.yaml; name says male: Alexander' (the engine's
    defaults when unset; pitch and rate only for engines that take them)."""
    heard = " ".join(x for x in ((s["gender"] or "").lower(), f"~{s['pitch_hz']} Hz" if s["pitch_hz"] else "") if x)
    why = "from voices.yaml" if s["why"] == "voices.yaml" else s["why"]
    name = f"; name says {s['heard_as']}" if s.get("heard_as") else ""
    settings = []
    if s.get("tunable", True):
        settings.append(f"pitch {50 if s['pitch'] is None else s['pitch']}")
    if s.get("tunable", True) or s["rate"]:
        settings.append(f"rate {s['rate'] or DEFAULT_WPM} wpm")
    return ", ".join([*settings, *([heard] if heard else [])]) + f"; {why}{name}"


def format_sheet(sheet: dict[str, Any]) -> str:
    """The human-readable cast sheet."""
    lines = [f"Title:    {sheet['title']}", f"Engine:   {sheet['engine']}    Host: {sheet['host'] or '-'}", ""]
    if "format" in sheet:
        lines.insert(1, f"Format:   {sheet['format']['name']} ({sheet['format']['detected']})")
    lines.append("Speakers:")
    width = max((len(s["name"]) for s in sheet["speakers"]), default=8)
    for s in sheet["speakers"]:
        tags = []
        if s["narrator"]:
            tags.append("narrator")
        if s["fallback"]:
            tags.append("fallback voice")
        if s["aliases"]:
            tags.append("also " + ", ".join(s["aliases"]))
        extra = f"  ({'; '.join(tags)})" if tags else ""
        lines.append(
            f"  {s['name']:<{width}}  {s['voice']:<22} {s['turns']:>3} turns {s['words']:>6} words"
            f"  ~{short(s['estimated_seconds'] * 1000)}{extra}"
        )
        lines.append(f"  {'':<{width}}  {_voice_detail(s)}")
    lines.append(f"  estimated length ~{short(sheet['estimated_seconds'] * 1000)}")
    if sheet.get("folds"):
        lines.append("")
        lines.append("Who is who:")
        lines.extend(f"  {f['label']} → {f['into']}: {f['reason']}" for f in sheet["folds"])
    lines.append("")
    lines.append(f"Chapters ({sheet['chapter_policy']}):")
    turn_lines = {t["index"]: t["line"] for t in sheet["turns"]}
    for i, c in enumerate(sheet["chapters"], start=1):
        lines.append(f"  {i:>2}. {c['title']}  (line {turn_lines.get(c['turn'], '?')})")
    if not sheet["chapters"]:
        lines.append("  (none)")
    if sheet["skipped"]:
        lines.append("")
        lines.append("Not spoken:")
        counts = Counter(s["reason"] for s in sheet["skipped"])
        shown: Counter[str] = Counter()
        for s in sheet["skipped"]:
            reason = s["reason"]
            if counts[reason] > MAX_SKIPPED_SHOWN and shown[reason] >= FIRST_SKIPPED_SHOWN:
                if shown[reason] == FIRST_SKIPPED_SHOWN:  # a mission log's thousands of timestamps: a count
                    lines.append(f"  ... and {counts[reason] - FIRST_SKIPPED_SHOWN:,} more lines  ({reason})")
                    shown[reason] += 1
                continue
            shown[reason] += 1
            text = s["text"] if len(s["text"]) <= 60 else s["text"][:57] + "..."
            lines.append(f"  line {s['line']}: {text}  ({reason})")
    if sheet["warnings"]:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  - {w}" for w in sheet["warnings"])
    return "\n".join(lines)


def spoken_sheet(prepared: Prepared) -> dict[str, Any]:
    """The JSON shape of `inspect --spoken --json` (documented in docs/output-files.md): per turn, the texts
    the engine is asked to say, one per unit, exactly as the render will pass them."""
    turns: list[dict[str, Any]] = []
    for unit in prepared.plan.units:
        if not turns or turns[-1]["turn"] != unit.turn:
            turns.append(
                {
                    "turn": unit.turn,
                    "line": unit.line,
                    "speaker": unit.speaker,
                    "engine": unit.voice.engine,
                    "voice": unit.voice.voice,
                    "units": [],
                }
            )
        turns[-1]["units"].append({"index": unit.index, "text": unit.text, "pause_ms": unit.pause_ms})
    return {
        "title": prepared.title,
        "source": prepared.source,
        "turns": turns,
        "dropped": [{"line": line, "reason": why} for line, why in prepared.plan.dropped],
    }


def format_spoken(sheet: dict[str, Any]) -> str:
    """What each engine will be asked to say, turn by turn; a turn cut into units shows one per line."""
    lines = [f"Title: {sheet['title']}"]
    for turn in sheet["turns"]:
        lines.append("")
        lines.append(f"line {turn['line']}  {turn['speaker']} ({turn['voice']})")
        several = len(turn["units"]) > 1
        for n, unit in enumerate(turn["units"], start=1):
            head = f"  [{n}] " if several else "  "
            paragraphs = [p for p in unit["text"].split("\n") if p.strip()]  # a turn may hold paragraphs
            lines.append(head + paragraphs[0])
            lines.extend(" " * len(head) + p for p in paragraphs[1:])
    for d in sheet["dropped"]:
        lines.append("")
        lines.append(f"line {d['line']}  (not spoken: {d['reason']})")
    return "\n".join(lines)
