"""Written text → what an engine is asked to say. Shared by every engine.

One module per concern: markup.py (characters, markup, links, emoji), lexicon.py (the pronunciation
table), words.py (abbreviations, code, symbols, dashes, acronyms), numerals.py (numbers, dates,
times, currency), spoken.py (the order they run in), sentences.py (splitting for the engine).
"""

from podrender.speech.normalize.lexicon import apply_lexicon
from podrender.speech.normalize.markup import _is_emoji
from podrender.speech.normalize.sentences import sentences, split_for_engine
from podrender.speech.normalize.spoken import spoken_text

__all__ = ["_is_emoji", "apply_lexicon", "sentences", "spoken_text", "split_for_engine"]
