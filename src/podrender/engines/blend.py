"""Voice blends: `0.7*jm_kumo + 0.3*jf_nezumi`, a weighted sum of an engine's voice vectors (Kokoro).

A bare name is a blend of one. Weights are numbers; a term without one weighs 1; `-` subtracts
(`1.3*jm_kumo - 0.3*jf_alpha` pushes a voice away from another). The weights must add up to 1 ± 0.05,
so a blend speaks at the loudness and pace of its parts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass

_TERM = re.compile(r"\s*([+-]?)\s*(?:(\d+(?:\.\d+)?|\.\d+)\s*\*\s*)?([A-Za-z][\w-]*)\s*")
#: How far from 1 the weights of a blend may add up.
SUM_TOLERANCE = 0.05


@dataclass(frozen=True)
class Blend:
    parts: tuple[tuple[str, float], ...]
    """(vector name, weight) in the order written; names appear once."""

    def canonical(self) -> str:
        """The blend written one way: `jm_kumo` for one vector, else `0.7*jm_kumo+0.3*jf_nezumi`."""
        if len(self.parts) == 1 and self.parts[0][1] == 1.0:
            return self.parts[0][0]
        out = ""
        for name, weight in self.parts:
            sign = "-" if weight < 0 else ("+" if out else "")
            out += f"{sign}{abs(weight):g}*{name}"
        return out

    def pitch(self, known: dict[str, float]) -> float | None:
        """Predicted median pitch: the weighted geometric mean of the parts' pitches (measured within 5 % of
        three blends, docs/engines.md); None when a part's pitch is unknown."""
        if any(name not in known for name, _ in self.parts):
            return None
        return math.exp(sum(w * math.log(known[name]) for name, w in self.parts))

    def leading(self) -> str:
        """The part with the largest weight (a blend's gender is its leading part's)."""
        return max(self.parts, key=lambda p: p[1])[0]


def is_blend(spec: str) -> bool:
    """True when `spec` is written as a blend rather than as one voice's name."""
    return "*" in spec or bool(re.search(r"[A-Za-z0-9_]\s*[-+]\s*[0-9.]", spec)) or " + " in spec or " - " in spec


def parse_blend(spec: str, known: Collection[str]) -> Blend:
    """Parse `spec`; ValueError (a message for people) on a malformed blend or an unknown vector."""
    text = spec.strip()
    pos, parts = 0, dict[str, float]()
    while pos < len(text):
        m = _TERM.match(text, pos)
        if m is None or m.end() == pos or (parts and not m.group(1)):
            raise ValueError(f"cannot read voice '{spec}': write a blend as 0.7*jm_kumo + 0.3*jf_nezumi")
        sign, number, name = m.groups()
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.5)
            hint = f"; closest: {', '.join(close)}" if close else f"; known: {', '.join(sorted(known))}"
            raise ValueError(f"unknown kokoro voice '{name}'{hint}")
        if name in parts:
            raise ValueError(f"voice '{name}' appears twice in '{spec}'")
        parts[name] = (-1.0 if sign == "-" else 1.0) * float(number or 1.0)
        pos = m.end()
    if not parts:
        raise ValueError("a voice needs a name")
    total = sum(parts.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"the weights of '{spec}' add up to {total:g}; they must add up to 1")
    return Blend(tuple(parts.items()))
