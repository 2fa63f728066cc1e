"""The voice catalog of an engine: resolving full and short voice ids, and suggesting close ones."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from podrender.engines import PitchProfile, VoiceInfo, VoiceSettings
from podrender.engines.blend import is_blend, parse_blend

#: Version of the remembered catalog (Catalog.to_json). Bump it when what an engine reports changes in
#: podrender's own code (pitch profiles, MEASURED_HZ), so catalogs remembered before are listed again.
CATALOG_FORMAT = 4


class UnknownVoice(Exception):
    """Raised by Catalog.resolve; the caller adds the file and line."""

    def __init__(
        self, spec: str, closest: list[str], ambiguous: list[str] | None = None, reason: str | None = None
    ) -> None:
        self.spec = spec
        self.closest = closest
        self.ambiguous = ambiguous or []
        if reason:
            message = reason
        elif self.ambiguous:
            message = f"voice '{spec}' is ambiguous; say one of: {', '.join(self.ambiguous)}"
        else:
            hint = f"; closest: {', '.join(closest)}" if closest else "; run `podrender voices` to list them"
            message = f"unknown voice '{spec}'{hint}"
        super().__init__(message)


@dataclass(frozen=True)
class Catalog:
    """What one engine offers: base voices and, for espeak, variants appended after '+'."""

    engine: str
    voices: tuple[VoiceInfo, ...]
    variants: tuple[str, ...] = ()
    profiles: tuple[tuple[str, PitchProfile], ...] = ()
    """How high voices speak (Engine.pitch_profiles): keys are lower-case base ids and '+variant'."""
    tunable: bool = True
    """Whether voices take espeak's pitch and rate settings (Engine.tunable)."""
    blends: bool = False
    """Whether a weighted sum of voices is a voice (Engine.blends): `0.7*a + 0.3*b`."""

    def _bases(self, short: str) -> list[VoiceInfo]:
        key = short.casefold()
        exact = [v for v in self.voices if v.id.casefold() == key]
        if exact:
            return exact
        by_short = [v for v in self.voices if v.id.casefold().rsplit("/", 1)[-1] == key]
        if by_short:
            return by_short
        family, _, lang_key = key.rpartition("/")
        return [
            v
            for v in self.voices
            if lang_key in (lang.casefold() for lang in v.languages)
            and (not family or v.id.casefold().startswith(family + "/"))
        ]

    def resolve(self, spec: str) -> str:
        """The full voice id for `spec` (`gmw/en-us+f3` or `en-us+f3`), or a blend written one way; raises
        UnknownVoice."""
        if self.blends and is_blend(spec):
            try:
                return parse_blend(spec, {v.id for v in self.voices}).canonical()
            except ValueError as exc:
                raise UnknownVoice(spec, [], reason=str(exc)) from None
        base, plus, variant = spec.strip().partition("+")
        matches = self._bases(base)
        if len(matches) > 1:
            raise UnknownVoice(spec, [], [m.id + plus + variant for m in matches])
        if not matches:
            raise UnknownVoice(spec, self.closest(spec))
        full = matches[0].id
        if plus:
            lookup = {v.casefold(): v for v in self.variants}
            if variant.casefold() not in lookup:
                raise UnknownVoice(spec, self.closest(spec))
            full += "+" + lookup[variant.casefold()]
        return full

    def closest(self, spec: str, n: int = 3) -> list[str]:
        base, plus, _ = spec.partition("+")
        names = [v.id.rsplit("/", 1)[-1] for v in self.voices]
        if plus and self._bases(base):
            short = base.strip()
            pool = [f"{short}+{v}" for v in self.variants]
        else:
            pool = names + [v.id for v in self.voices]
        found = difflib.get_close_matches(spec, pool, n=n, cutoff=0.5)
        return list(dict.fromkeys(found))

    def info(self, full_id: str) -> VoiceInfo | None:
        base = full_id.partition("+")[0].casefold()
        return next((v for v in self.voices if v.id.casefold() == base), None)

    def profile(self, full_id: str) -> PitchProfile | None:
        """The base voice's profile with its variant's pitch and gender laid over it; None if unknown."""
        table = dict(self.profiles)
        if self.blends and is_blend(full_id):
            return self._blend_profile(full_id, table)
        base, plus, variant = full_id.partition("+")
        own = table.get(base.casefold())
        extra = table.get("+" + variant) if plus else None
        if extra is None or own is None:
            return extra or own
        pitched = extra if extra.base_hz is not None or extra.measured else own
        return PitchProfile(
            pitched.base_hz, pitched.spread_hz, extra.gender or own.gender, pitched.steps_per_octave, pitched.measured
        )

    def _blend_profile(self, spec: str, table: dict[str, PitchProfile]) -> PitchProfile | None:
        try:
            blend = parse_blend(spec, {v.id for v in self.voices})
        except ValueError:
            return None
        known = {name: hz for name, _ in blend.parts if (p := table.get(name.casefold())) and (hz := p.median_hz(None))}
        hz = blend.pitch(known)
        lead = table.get(blend.leading().casefold())
        gender = lead.gender if lead else None
        return PitchProfile(hz, gender=gender, steps_per_octave=float("inf")) if hz or gender else None

    def expected_pitch(self, voice: VoiceSettings) -> float | None:
        """The median pitch (Hz) `voice` is predicted to speak at, or None when the engine cannot say."""
        profile = self.profile(voice.voice)
        return profile.median_hz(voice.pitch) if profile else None

    def gender(self, full_id: str) -> str | None:
        """'Female'/'Male' from an espeak variant (f1-f5 / m1-m8, or its file), else what the engine says."""
        profile = self.profile(full_id)
        if profile is not None and profile.gender:
            return profile.gender
        variant = full_id.partition("+")[2]
        if len(variant) >= 2 and variant[1:].isdigit():
            if variant[0] == "f":
                return "Female"
            if variant[0] == "m":
                return "Male"
        info = self.info(full_id)
        return info.gender if info else None

    def to_json(self) -> dict[str, object]:
        return {
            "format": CATALOG_FORMAT,
            "engine": self.engine,
            "voices": [[v.id, v.name, list(v.languages), v.gender] for v in self.voices],
            "variants": list(self.variants),
            "tunable": self.tunable,
            "blends": self.blends,
            "profiles": [
                [k, p.base_hz, p.spread_hz, p.gender, p.steps_per_octave, [list(m) for m in p.measured]]
                for k, p in self.profiles
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Catalog:
        rows = data["voices"]
        assert isinstance(rows, list)
        voices = tuple(VoiceInfo(str(r[0]), str(r[1]), tuple(r[2]), r[3]) for r in rows)
        variants = data.get("variants") or []
        assert isinstance(variants, list)
        if data.get("format") != CATALOG_FORMAT:
            raise KeyError("format")  # remembered by another version of podrender: list again
        rows = data["profiles"]
        assert isinstance(rows, list)
        profiles = tuple(
            (str(r[0]), PitchProfile(r[1], float(r[2]), r[3], float(r[4]), tuple((int(s), float(h)) for s, h in r[5])))
            for r in rows
        )
        flags = bool(data.get("tunable", True)), bool(data.get("blends", False))
        return cls(str(data["engine"]), voices, tuple(str(v) for v in variants), profiles, *flags)
