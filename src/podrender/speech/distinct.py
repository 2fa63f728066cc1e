"""Telling speakers apart: the rule every cast must meet, and fallback voices chosen to meet it.

The rule: two speakers are distinct when their voices differ in gender or their median pitches
differ by at least 20 %. Pitches are predicted from the engine's pitch profiles (see
`podrender.engines.PitchProfile`), so casting needs no audio.

Fallback voices (for speakers voices.yaml does not give a voice) are chosen in order of
appearance:

1. Gender: the one fewer heard speakers have so far; on a tie, not the gender of the speaker
   cast just before (so a conversation alternates).
2. Pitch: all voices a gender will hold (voices.yaml's and the fallbacks) are spread evenly, on a
   log scale, over the band its voices can reach (at most 40 % apart, centred near 205 Hz for
   women and 105 Hz for men); the points nearest voices.yaml's voices are theirs, the rest go to
   the fallbacks, the one nearest the centre first.
3. Voice: voices.yaml's fallback_voices (each at any pitch that works), then the first built-in
   voice not yet used that reaches the planned pitch with a pitch setting in 10..95, then a used
   one at another pitch. When the plan cannot be met, the free pitch nearest the centre that is
   at least 25 % (the rule's 20 % plus a margin for the prediction's error) from every voice of
   the gender; failing that, the pitch farthest from them, and the cast warns if the rule fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from podrender.engines import PitchProfile, VoiceSettings
from podrender.engines.catalog import Catalog

#: Median pitches this far apart (as a ratio) tell two same-gender voices apart.
DISTINCT_RATIO = 1.2
#: What fallback choices aim for: the rule's 20 % plus a margin for the prediction's error.
TARGET_RATIO = 1.25
#: The usual median pitch (Hz) of each gender's voices, and the band a fallback voice may be moved within.
CENTRES = {"Female": 205.0, "Male": 105.0}
BANDS = {"Female": (130.0, 330.0), "Male": (75.0, 165.0)}
#: Planned same-gender pitches are spread evenly (on a log scale) over the band, at most this far apart.
WIDEST_STEP = 1.4
#: Pitch settings a fallback may use: beyond them espeak voices sound strained.
PITCH_LIMITS = (10, 95)
#: Speaking rates (words/min) given to fallback speakers in turn, so neighbours differ in pace too. Near
#: 150-160: espeak at 170+ lost words to Whisper tiny.en on a published interview (docs/intelligibility.md).
FALLBACK_RATES = (155, 150, 160, 152, 158)


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
    planned: tuple[str, float] | None = None,
    preferred: int = 0,
    wanted: str | None = None,
) -> Choice | None:
    """The fallback voice for `name` after the speakers in `cast`; None if the engine gives no pitches.

    `pitch`, `rate` and `volume` are what voices.yaml sets for the speaker (kept when set);
    `index` counts fallback speakers before this one; `planned` is the gender and pitch
    `plan_pitches` gave the speaker, tried first. The first `preferred` candidates (voices.yaml's
    fallback_voices) are tried one by one at any pitch that meets the target before the others.
    `wanted` is the gender the speaker's name asks for (tried first, the other only when it has no voice).
    """
    if rate is None and catalog.tunable:
        rate = FALLBACK_RATES[index % len(FALLBACK_RATES)]
    chosen_list = set(candidates[:preferred])
    pitched = [c for c in candidates if catalog.expected_pitch(VoiceSettings(catalog.engine, c)) is not None]
    if not pitched:
        return None
    order = _gender_order(cast)
    if planned is not None and planned[0] != order[0]:
        order.reverse()
    if wanted is not None and wanted != order[0]:
        order.reverse()
    fresh = [c for c in pitched if c.casefold() not in used]
    if not catalog.tunable:
        return _fixed_pitch_choice(order, fresh, pitched, candidates[:preferred], catalog, cast, rate, volume, wanted)
    for gender in order:
        same = [h for h in cast if h.hz and (h.gender == gender or h.gender is None)]
        slots = ([planned[1]] if planned is not None and planned[0] == gender else []) + _free_pitches(gender, same)
        for voice_id in [c for c in fresh if c in chosen_list]:  # voices.yaml's own list, in its order
            for slot in [*slots, None]:  # None: the voice's own pitch
                hit = _reach(slot, gender, [voice_id], catalog, pitch, rate, volume, same)
                if hit is not None:
                    return Choice(hit[0], gender, hit[1], _why(gender, hit[1], cast))
        for pool in (fresh, pitched):  # a voice not yet heard first; then a heard one at another pitch
            for slot in slots:
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
    gap, voice, gender, hz = best
    return Choice(voice, gender, hz, _why(gender, hz, cast), clear=gap >= DISTINCT_RATIO - 1e-9)


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
        if profile is None or profile.median_hz(50) is None:
            continue
        settings: list[int | None]
        if not catalog.tunable:
            settings = [pitch]
        elif pitch is not None or slot is None:
            settings = [50 if pitch is None else pitch]
        else:
            settings = [*_settings_for(slot, profile)]
        for setting in settings:
            hz = profile.median_hz(setting)
            assert hz is not None
            if slot is not None and _ratio(hz, slot) > 1.05:
                continue
            if any(_ratio(hz, h.hz) < TARGET_RATIO for h in same if h.hz):
                continue
            return VoiceSettings(catalog.engine, voice_id, rate, setting, volume), hz
    return None


def _fixed_pitch_choice(
    order: Sequence[str],
    fresh: Sequence[str],
    pitched: Sequence[str],
    own: Sequence[str],
    catalog: Catalog,
    cast: Sequence[Heard],
    rate: int | None,
    volume: float | None,
    wanted: str | None,
) -> Choice | None:
    """For engines whose voices have one pitch each (Kokoro): the first voice of a gender in `order`, in the
    candidates' order (voices.yaml's list first, unheard before heard), that is DISTINCT_RATIO from every
    heard voice of that gender. Failing that, the one farthest from them, of the `wanted` gender if any."""
    pool = list(dict.fromkeys([*own, *fresh, *pitched]))
    best: tuple[float, Choice] | None = None
    for gender in order:
        same = [h for h in cast if h.hz and (h.gender == gender or h.gender is None)]
        for voice_id in pool:
            if catalog.gender(voice_id) != gender:
                continue
            voice = VoiceSettings(catalog.engine, voice_id, rate, None, volume)
            hz = catalog.expected_pitch(voice)
            if hz is None:
                continue
            gap = min((_ratio(hz, h.hz) for h in same if h.hz), default=math.inf)
            choice = Choice(voice, gender, hz, _why(gender, hz, cast), clear=gap >= DISTINCT_RATIO - 1e-9)
            if choice.clear:
                return choice
            if (wanted is None or gender == wanted) and (best is None or gap > best[0] + 1e-9):
                best = (gap, choice)
    return best[1] if best else None


def plan_pitches(
    fallbacks: Sequence[str],
    fixed: Sequence[Heard],
    candidates: Sequence[str],
    catalog: Catalog,
    wanted: dict[str, str] | None = None,
) -> dict[str, tuple[str, float]]:
    """The gender and target pitch of each fallback speaker who is heard, in order of appearance.

    Genders alternate as in `choose_fallback`. The voices a gender will hold (those voices.yaml sets
    and the fallbacks) are spread evenly on a log scale over its band (narrowed to what the candidate
    voices can reach), at most WIDEST_STEP apart and centred on the gender's centre; the points nearest
    voices.yaml's voices are left to them, the others go to the fallbacks, nearest the centre first.
    """
    cast = list(fixed)
    genders: dict[str, str] = {}
    for name in fallbacks:
        genders[name] = (wanted or {}).get(name) or _gender_order(cast)[0]
        cast.append(Heard(name, genders[name], None))
    out: dict[str, tuple[str, float]] = {}
    for gender, centre in CENTRES.items():
        mine = [n for n in fallbacks if genders[n] == gender]
        anchors = [h.hz for h in fixed if h.hz and h.gender in (gender, None)]
        grid = _grid(gender, len(mine) + len(anchors), _band(gender, candidates, catalog))
        for hz in anchors:
            grid.remove(min(grid, key=lambda p: abs(math.log(p / hz))))
        grid.sort(key=lambda p: (round(abs(math.log(p / centre)), 6), -p))
        out.update((name, (gender, slot)) for name, slot in zip(mine, grid, strict=True))
    return out


def _band(gender: str, candidates: Sequence[str], catalog: Catalog) -> tuple[float, float]:
    """The gender's band, narrowed to the pitches its candidate voices reach within PITCH_LIMITS."""
    reach = [
        hz
        for c in candidates
        if catalog.gender(c) == gender and (profile := catalog.profile(c)) is not None
        for hz in (profile.median_hz(PITCH_LIMITS[0]), profile.median_hz(PITCH_LIMITS[1]))
        if hz is not None
    ]
    low, high = BANDS[gender]
    if not reach or max(low, min(reach)) >= min(high, max(reach)):
        return low, high
    return max(low, min(reach)), min(high, max(reach))


def _grid(gender: str, n: int, band: tuple[float, float]) -> list[float]:
    """`n` pitches evenly spread (log scale) within `band`, centred on the gender's centre where it can be."""
    centre, (low, high) = CENTRES[gender], band
    if n <= 1:
        return [centre] * n
    step = min(WIDEST_STEP, (high / low) ** (1 / (n - 1)))
    start = min(max(centre / step ** ((n - 1) / 2), low), high / step ** (n - 1))
    return [start * step**i for i in range(n)]


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
    return sorted(set(free), key=lambda p: (round(abs(math.log(p / centre)), 6), -p))  # on a tie, the higher


def _settings_for(hz: float, profile: PitchProfile) -> list[int]:
    """The two pitch settings within PITCH_LIMITS whose predicted pitch is nearest `hz`, nearest first."""
    low, high = PITCH_LIMITS
    distance = {s: abs(math.log((profile.median_hz(s) or 1.0) / hz)) for s in range(low, high + 1)}
    return sorted(distance, key=lambda s: (distance[s], s))[:2]


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
    """Settings that make the same sound: same engine, voice, model and speaker, pitch and pace."""
    def key(v: VoiceSettings) -> tuple[object, ...]:
        return (v.engine, v.voice.casefold(), v.pitch, v.options)

    return key(a) == key(b)
