"""Telling speakers apart: the rule every cast must meet, and fallback voices chosen to meet it.

The rule: two speakers are distinct when their voices differ in gender or their median pitches
differ by at least 20 %. Pitches are predicted from the engine's pitch profiles (see
`podrender.engines.PitchProfile`), so casting needs no audio.

Fallback voices (for speakers voices.yaml does not give a voice) are chosen in order of
appearance. Each takes the gender of which fewer speakers have been cast so far (on a tie, the
other gender than the speaker cast just before), then the first free pitch on that gender's
ladder: a pitch at least 25 % (a margin over the 20 % rule, for the prediction's error) from every
same-gender speaker already cast. The first candidate voice not yet used that can reach that pitch
with a pitch setting in 10..90 gets it. When no ladder pitch of either gender is free, the speaker
gets the pitch farthest from the others, and the cast warns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from podrender.engines import VoiceSettings
from podrender.voices import Catalog

#: Median pitches this far apart (as a ratio) tell two same-gender voices apart.
DISTINCT_RATIO = 1.2
#: What fallback choices aim for: the rule's 20 % plus a margin for the prediction's error.
TARGET_RATIO = 1.25
#: The usual median pitch (Hz) of each gender's voices, and the band a fallback voice may be moved within.
CENTRES = {"Female": 205.0, "Male": 105.0}
BANDS = {"Female": (128.0, 340.0), "Male": (72.0, 170.0)}
#: Pitch settings a fallback may use: beyond them espeak voices sound strained.
PITCH_LIMITS = (10, 95)
#: Speaking rates (words/min) given to fallback speakers in turn, so neighbours differ in pace too.
FALLBACK_RATES = (170, 160, 178, 165, 174)


@dataclass(frozen=True)
class Heard:
    """A cast speaker as the rule sees it."""

    name: str
    gender: str | None
    hz: float | None


@dataclass(frozen=True)
class Choice:
    """A fallback voice and why it was chosen."""

    voice: VoiceSettings
    gender: str | None
    hz: float | None
    why: str
    clear: bool = True
    """False when no choice met the rule (the cast warns)."""


def distinct(a: Heard, b: Heard) -> bool | None:
    """True/False by the rule, None when the engine cannot predict enough to tell."""
    if a.gender and b.gender and a.gender != b.gender:
        return True
    if a.hz and b.hz:
        return max(a.hz, b.hz) / min(a.hz, b.hz) >= DISTINCT_RATIO - 1e-9
    return None


def describe(who: Heard) -> str:
    """'Sayak (male, 96 Hz)'."""
    parts = [p for p in ((who.gender or "").lower(), f"{who.hz:.0f} Hz" if who.hz else "") if p]
    return f"{who.name} ({', '.join(parts)})" if parts else who.name


def clash_warnings(cast: Sequence[Heard], settings: dict[str, VoiceSettings]) -> list[str]:
    """One warning per pair of speakers that the rule cannot tell apart."""
    out = []
    for i, a in enumerate(cast):
        for b in cast[i + 1 :]:
            verdict = distinct(a, b)
            if verdict is False:
                assert a.hz and b.hz
                out.append(
                    f"speakers '{a.name}' and '{b.name}' may sound alike: "
                    f"{_gender_phrase(a, b)}, about {a.hz:.0f} and {b.hz:.0f} Hz "
                    f"(less than {DISTINCT_RATIO - 1:.0%} apart); give one another voice or pitch"
                )
            elif verdict is None and _same_sound(settings[a.name], settings[b.name]):
                out.append(f"speakers '{a.name}' and '{b.name}' use the same voice; give one another voice")
    return out


def choose_fallback(
    name: str,
    candidates: Sequence[str],
    catalog: Catalog,
    cast: Sequence[Heard],
    used: set[str],
    *,
    pitch: int | None,
    rate: int | None,
    volume: float | None,
    index: int,
) -> Choice | None:
    """The fallback voice for `name` after the speakers in `cast`; None if the engine gives no pitches.

    `pitch`, `rate` and `volume` are what voices.yaml sets for the speaker (kept when set);
    `index` counts fallback speakers before this one.
    """
    if rate is None:
        rate = FALLBACK_RATES[index % len(FALLBACK_RATES)]
    pitched = [c for c in candidates if catalog.expected_pitch(VoiceSettings(catalog.engine, c)) is not None]
    if not pitched:
        return None
    order = _gender_order(cast)
    fresh = [c for c in pitched if c.casefold() not in used]
    for gender in order:
        same = [h for h in cast if h.hz and (h.gender == gender or h.gender is None)]
        for pool in (fresh, pitched):  # a voice not yet heard first; then a heard one at another pitch
            for slot in (None, *_free_pitches(gender, same)):  # None: the voice's own pitch
                hit = _reach(slot, gender, pool, catalog, pitch, rate, volume, same)
                if hit is not None:
                    voice, hz = hit
                    return Choice(voice, gender, hz, _why(gender, hz, cast))
    # Nothing meets the target: take the pitch farthest from everyone of its gender.
    best: tuple[float, VoiceSettings, str, float] | None = None
    for gender in order:
        same = [h for h in cast if h.hz and (h.gender == gender or h.gender is None)]
        low, high = BANDS[gender]
        for slot in (low, CENTRES[gender], high, *(h.hz * f for h in same if h.hz for f in (1 / 1.22, 1.22))):
            if not low <= slot <= high:
                continue
            hit = _reach(slot, gender, fresh + pitched, catalog, pitch, rate, volume, [])
            if hit is None:
                continue
            gap = min((_ratio(hit[1], h.hz) for h in same if h.hz), default=math.inf)
            if best is None or gap > best[0] + 1e-9:
                best = (gap, hit[0], gender, hit[1])
    if best is None:
        return None
    _, voice, gender, hz = best
    return Choice(voice, gender, hz, _why(gender, hz, cast), clear=False)


def _reach(
    slot: float | None,
    gender: str,
    candidates: Sequence[str],
    catalog: Catalog,
    pitch: int | None,
    rate: int | None,
    volume: float | None,
    same: Sequence[Heard],
) -> tuple[VoiceSettings, float] | None:
    """The first candidate of `gender` whose predicted pitch can sit at `slot` (None: at its own pitch,
    setting 50) at least TARGET_RATIO from everyone in `same`."""
    for voice_id in candidates:
        if catalog.gender(voice_id) != gender:
            continue
        profile = catalog.profile(voice_id)
        if profile is None or profile.base_hz is None:
            continue
        if pitch is not None or slot is None:
            settings = [50 if pitch is None else pitch]
        else:
            settings = _settings_for(slot, profile.base_hz, profile.spread_hz, profile.steps_per_octave)
        for setting in settings:
            hz = profile.median_hz(setting)
            assert hz is not None
            if slot is not None and _ratio(hz, slot) > 1.05:
                continue
            if any(_ratio(hz, h.hz) < TARGET_RATIO for h in same if h.hz):
                continue
            return VoiceSettings(catalog.engine, voice_id, rate, setting, volume), hz
    return None


def _free_pitches(gender: str, same: Sequence[Heard]) -> list[float]:
    """Pitches in the gender's band at least TARGET_RATIO from everyone in `same`, nearest the centre first.

    The candidates are the centre and the points just TARGET_RATIO above and below each voice.
    """
    centre, (low, high) = CENTRES[gender], BANDS[gender]
    points = [centre] + [h.hz * f for h in same if h.hz for f in (1 / TARGET_RATIO, TARGET_RATIO)]
    free = [
        p for p in points
        if low <= p <= high and all(_ratio(p, h.hz) >= TARGET_RATIO - 1e-9 for h in same if h.hz)
    ]  # fmt: skip
    return sorted(set(free), key=lambda p: (abs(math.log(p / centre)), p))


def _settings_for(hz: float, base: float, spread: float, steps: float) -> list[int]:
    """The whole pitch settings within PITCH_LIMITS either side of the one that gives `hz`, nearest first."""
    if hz <= spread:
        return []
    exact = 50 + steps * math.log2((hz - spread) / base)
    near = sorted({math.floor(exact), math.ceil(exact)}, key=lambda s: abs(s - exact))
    return list(dict.fromkeys(min(max(s, PITCH_LIMITS[0]), PITCH_LIMITS[1]) for s in near))


def _gender_order(cast: Sequence[Heard]) -> list[str]:
    """The gender to try first (fewer so far; on a tie, not the last speaker's), then the other."""
    female = sum(h.gender == "Female" for h in cast)
    male = sum(h.gender == "Male" for h in cast)
    if female != male:
        first = "Female" if female < male else "Male"
    else:
        last = next((h.gender for h in reversed(cast) if h.gender), None)
        first = "Male" if last == "Female" else "Female"
    return [first, "Male" if first == "Female" else "Female"]


def _why(gender: str, hz: float, cast: Sequence[Heard]) -> str:
    same = [h for h in cast if h.hz and h.gender == gender]
    if same:
        nearest = min(same, key=lambda h: _ratio(hz, h.hz or hz))
        return f"fallback: contrast with {describe(nearest)}"
    if cast:
        return f"fallback: a {gender.lower()} voice beside {', '.join(describe(h) for h in cast[-2:])}"
    return f"fallback: a {gender.lower()} voice to start"


def _ratio(a: float, b: float) -> float:
    return max(a, b) / min(a, b)


def _gender_phrase(a: Heard, b: Heard) -> str:
    if a.gender and a.gender == b.gender:
        return f"both {a.gender.lower()}"
    return "gender unknown"


def _same_sound(a: VoiceSettings, b: VoiceSettings) -> bool:
    return (a.engine, a.voice.casefold(), a.pitch) == (b.engine, b.voice.casefold(), b.pitch)
