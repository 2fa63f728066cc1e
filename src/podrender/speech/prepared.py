"""The value every later stage reads: everything decided before any audio is made."""

from __future__ import annotations

from dataclasses import dataclass

from podrender.config import Config
from podrender.engines.catalog import Catalog
from podrender.input.script import Script
from podrender.speech.cast import Cast
from podrender.speech.chapters import ChapterPlan
from podrender.speech.plan import RenderPlan


@dataclass(frozen=True)
class Prepared:
    """Everything decided before any audio is made."""

    source: str
    title: str
    script: Script
    config: Config
    catalog: Catalog
    cast: Cast
    chapters: tuple[ChapterPlan, ...]
    policy: str
    plan: RenderPlan
