"""podrender: turn a written conversation into a chaptered podcast episode.

The public API. The command line (podrender.cli) and the web page (podrender.web) use only what is
named here; the stage packages behind it follow the data flow:

    input/   bytes → text → Script (format detection and parsers)
    speech/  Script → what each voice says: normalization, casting, chapters, the plan of units
    engines/ the Engine interface, its registry and the engines
    audio/   one unit → a checked, levelled, encoded chunk
    runner/  the zygote, the worker pool, the console command's launch
    output/  chunks → the episode, its manifest, sidecars, other formats, the feed, the cast sheet

Names are loaded when first used (PEP 562), so `import podrender` costs nothing and the console
command can fork its zygote before the heavy modules load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # the one library call, and what it returns
    "prepare": "podrender.pipeline",
    "render": "podrender.pipeline",
    "Progress": "podrender.pipeline",
    "slugify": "podrender.pipeline",
    "load_catalog": "podrender.pipeline",
    "with_audio_overrides": "podrender.pipeline",
    "Prepared": "podrender.speech.prepared",
    "RenderResult": "podrender.output.result",
    "say": "podrender.preview",
    "say_from_script": "podrender.preview",
    "run_checks": "podrender.doctor",
    # configuration (voices.yaml)
    "CHAPTER_POLICIES": "podrender.config",
    "Config": "podrender.config",
    "SpeakerConfig": "podrender.config",
    "load_config": "podrender.config",
    "parse_config": "podrender.config",
    "with_music": "podrender.config",
    "AudioSettings": "podrender.audio.settings",
    "check_music": "podrender.audio.music",
    # errors
    "PodrenderError": "podrender.errors",
    "ConfigError": "podrender.errors",
    "ScriptError": "podrender.errors",
    "EngineError": "podrender.errors",
    "VoiceError": "podrender.errors",
    "OutputError": "podrender.errors",
    "EncoderError": "podrender.errors",
    "CacheError": "podrender.errors",
    "DownloadError": "podrender.errors",
    "QueueError": "podrender.errors",
    # reading a transcript
    "read_script": "podrender.input.source",
    "decode_script": "podrender.input.source",
    "resolve_format_name": "podrender.input.formats",
    # engines and voices
    "get_engine": "podrender.engines",
    "engine_names": "podrender.engines",
    "register_engine": "podrender.engines",
    "Catalog": "podrender.engines.catalog",
    "UnknownVoice": "podrender.engines.catalog",
    # fetching voices (`podrender voices download`; nothing else downloads)
    "Downloaded": "podrender.engines.download",
    "download_kokoro": "podrender.engines.download",
    "download_piper": "podrender.engines.download",
    "data_dir": "podrender.runtime",
    # outputs
    "cast_sheet": "podrender.output.castsheet",
    "format_sheet": "podrender.output.castsheet",
    "spoken_sheet": "podrender.output.castsheet",
    "format_spoken": "podrender.output.castsheet",
    "parse_sidecars": "podrender.output.sidecars",
    "short_time": "podrender.output.clock",
    "check_base_url": "podrender.output.feed",
    "write_feed": "podrender.output.feed",
    # rendering on many machines (the `queue` extra: RQ on Redis)
    "run_worker": "podrender.runner.worker",
    "check_queue": "podrender.runner.queue",
    # the chunk cache
    "Cache": "podrender.cache",
    "default_cache_dir": "podrender.cache",
    "atomic_write": "podrender.output.files",
    # audio
    "encode_mp3": "podrender.audio.encode",
}
#: public names that are another name in their module
_RENAMED = {"resolve_format_name": "resolve_name", "register_engine": "register", "short_time": "short"}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'podrender' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # what the names are, for type checkers; at run time __getattr__ loads them
    from podrender.audio.encode import encode_mp3
    from podrender.audio.music import check_music
    from podrender.audio.settings import AudioSettings
    from podrender.cache import Cache, default_cache_dir
    from podrender.config import CHAPTER_POLICIES, Config, SpeakerConfig, load_config, parse_config, with_music
    from podrender.doctor import run_checks
    from podrender.engines import engine_names, get_engine
    from podrender.engines import register as register_engine
    from podrender.engines.catalog import Catalog, UnknownVoice
    from podrender.engines.download import Downloaded, download_kokoro, download_piper
    from podrender.errors import (
        CacheError,
        ConfigError,
        DownloadError,
        EncoderError,
        EngineError,
        OutputError,
        PodrenderError,
        QueueError,
        ScriptError,
        VoiceError,
    )
    from podrender.input.formats import resolve_name as resolve_format_name
    from podrender.input.source import decode_script, read_script
    from podrender.output.castsheet import cast_sheet, format_sheet, format_spoken, spoken_sheet
    from podrender.output.clock import short as short_time
    from podrender.output.feed import check_base_url, write_feed
    from podrender.output.files import atomic_write
    from podrender.output.result import RenderResult
    from podrender.output.sidecars import parse_sidecars
    from podrender.pipeline import Progress, load_catalog, prepare, render, slugify, with_audio_overrides
    from podrender.preview import say, say_from_script
    from podrender.runner.queue import check_queue
    from podrender.runner.worker import run_worker
    from podrender.runtime import data_dir
    from podrender.speech.prepared import Prepared
