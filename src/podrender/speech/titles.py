"""Chapter titles a person would write: a host's question without its lead-in, and any text cut at a phrase
boundary to at most MAX_TITLE characters. Never an ellipsis, never a cut word (one exception: a single word
longer than the limit, which has no whole-word form; it is cut at the limit)."""

from __future__ import annotations

import re
from collections.abc import Callable

from podrender.input.formats.pause import strip_pauses
from podrender.speech.normalize import sentences

MAX_TITLE = 60
_I = re.IGNORECASE


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words a question or a clause can start with.
_WH = r"(?:how|what|why|which|who|whom|whose|where|when)"
_AUX = (
    r"(?:do|does|did|is|are|was|were|can|could|will|would|should|shall|may|might|must|have|has|had|"
    r"isn['’]t|aren['’]t|don['’]t|doesn['’]t|didn['’]t|can['’]t|won['’]t|wouldn['’]t)"
)
_PRONOUN = r"(?:you|we|they|i|he|she|it|there|people|anyone|someone)"
_DIRECT = re.compile(rf"\b{_AUX}\s+{_PRONOUN}\b|^{_AUX}\b|^{_WH}['’]s\b|^{_WH}\s+{_AUX}\b", _I)

# Interjections and thanks before the question: "So, ...", "Great! ...", "Thanks for that, ...".
_INTERJECTION = re.compile(
    r"^(?:(?:so|sure|well|okay|ok|now|and|but|alright|all right|right|great|yes|yeah|oh|cool|nice|perfect|"
    r"interesting|wow|fair enough|got it|i see|that['’]s (?:great|interesting|fascinating|amazing|cool)|"
    r"(?:thanks|thank you)(?: (?:so|very) much)?(?: for [^,.!?;]*)?)\s*[,!.;:—–]\s*|(?:so|and|now|but)\s+)",
    _I,
)
# Lead-ins that ask for the question rather than asking it. What follows them decides the title's shape.
_REQUEST = re.compile(
    r"^(?:"
    r"(?:my|the|a|one|our|and my) (?:next|follow-up|follow up|last|final|first|second|third|other|main|big|"
    r"real|only)?\s*question(?: for you)? (?:is|would be|was|will be)|"
    r"i(?:['’]d| would)? (?:wanted|want|would like|['’]d like|was going|meant|have|need)"
    r" to (?:ask|know|understand|hear)"
    r"(?: (?:you|from you|more))?|"
    r"let me ask(?: you)?|i have to ask|"
    r"i(?:['’]m| am) (?:curious|wondering)(?: to know)?|i was (?:curious|wondering)|i wonder(?:ed)?|"
    r"i(?:['’]d| would) love to (?:hear|know)(?: more)?|"
    r"(?:maybe |perhaps )?(?:can|could|would|will) you(?: please)?(?: (?:like to|care to|be able to))?"
    r" (?:tell|give|walk) (?:us|me|our listeners|the listeners)(?: through)?|"
    r"(?:maybe |perhaps )?(?:can|could|would|will) you(?: please)?(?: (?:like to|care to|be able to))?"
    r" (?:share|explain|describe|elaborate on|talk|say|speak)(?: (?:with|to) (?:us|me))?|"
    r"(?:tell|give|walk) (?:us|me)(?: through)?|"
    r"let['’]s (?:talk|chat|turn|move on|switch gears)(?: to)?"
    r")[,:]?\s+(?:(?:a (?:little )?bit|a little|briefly|more|some more|something)\s+)?",
    _I,
)
_START_BY = re.compile(
    r"^(?:maybe |perhaps )?(?:you could|could you|can you|why don['’]t you|let['’]s|would you like to)"
    r" (?:start|begin|kick off|kick things off) (?:by|with)\s+"
    r"(?:(?:telling|giving) (?:us|me) (?:(?:a (?:little )?bit )?about )?)?",
    _I,
)
_TOPIC_VERB = re.compile(r"\b(?:explain|describe|walk (?:us|me) through|elaborate on)$", _I)
_TOPIC_NOUN = re.compile(r"^(?:the|your|a|an|this|that|these|those|our|his|her|their|some)\b", _I)
_ABOUT = re.compile(r"^(?:about|regarding|on)\s+", _I)
_CLAUSE = re.compile(rf"^(?:{_WH}|whether|if)\b", _I)
# "introducing yourself — what are you working on?": the part after a dash or colon, when it is a question.
_SPLIT = re.compile(r"\s*[—–]\s*|\s+-\s+|:\s+")
_QUESTION_START = re.compile(rf"^(?:{_WH}|{_AUX}|whether)\b", _I)
_TRAILING_ETC = re.compile(r"(?:,?\s*(?:etc\.?|and so on|and so forth|or something(?: like that)?))+(?=[?.!]*$)", _I)

# Indirect questions back to direct ones, where the rule is simple.
_SUBJECT = (
    r"(?:you|we|they|i|he|she|it|there|people|"
    r"(?:the|your|our|their|this|that|these|those|my|his|her|its)(?: \w+){1,2}?)"
)
_INVERT = re.compile(rf"^(?P<wh>{_WH}|whether|if)\s+(?P<subj>{_SUBJECT})\s+(?P<aux>{_AUX})\b\s*", _I)
_DO_SUPPORT = re.compile(r"^(?P<wh>" + _WH + r"|whether|if)\s+(?P<subj>you|we|they|i|people)\s+(?P<adv>\w+ly\s+)?"
                         r"(?P<verb>[a-z]+)\b", _I)  # fmt: skip
_PAST = _words(
    "got went came made took found began became knew thought felt saw left met chose wrote built ran grew fell "
    "brought spent had did said heard kept learned learnt taught won lost started"
)

_DETERMINER_BEFORE_KIND = _words("the a what which this that any some every one same other these those of no")
_FILLERS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r",?\s*\b(?:typically|actually|really|basically|generally|usually|honestly|literally|"
                r"specifically|essentially|particularly|just)\b,?", _I), ""),
    (re.compile(r"(?<=\s)(?P<prev>\w+)\s+(?:kind|sort) of\b", _I),
     lambda m: m.group(0) if m.group("prev").lower() in _DETERMINER_BEFORE_KIND else m.group("prev")),
    (re.compile(r"\s+\ba (?:little )?bit\b(?!\s+of\b)|\s+\ba little\b(?=\s+(?:about|more)\b)", _I), ""),
    (re.compile(r",?\s+\b(?:at all|in general|in particular)\b", _I), ""),
    (re.compile(r",?\s+\b(?:for|to|with) (?:our|the|your) (?:listeners|audience|viewers|readers)\b", _I), ""),
    (re.compile(r"(?<=\w)\s+(?:do you think|would you say)\b,?", _I), ""),
    (re.compile(r"\bthe (?:world|field|area|realm|domain|space) of\s+", _I), ""),
    (re.compile(r"\b(?:is|are|am) going to\b", _I), "will"),
)  # fmt: skip

# Where a title may end: before a clause or a trailing preposition phrase.
# Where a title may end: before a clause or before a preposition phrase.
_CLAUSE_BOUNDARY = re.compile(
    r",\s|;\s|\s[—–-]\s|\s\((?=[^)]*\)?)|\s(?=(?:and|or|but|that|which|who|because|since|so that|for example|"
    r"for instance|e\.g\.|such as|when|while|where|whereas|if|although|though|what|how|why|whether)\b)",
    _I,
)
_PREPOSITION_BOUNDARY = re.compile(
    r"\s(?=(?:about|for|from|in|on|at|with|into|during|over|after|before|through|across|between|without|within|"
    r"under|among|beyond|toward|towards|via|by|versus|vs\.|compared)\b)",
    _I,
)
_INFINITIVE_BEFORE = re.compile(r"\bto\s+\w+$", _I)
_OPEN_CLAUSE_BEFORE = re.compile(r"\s(?:what|which|who|how|whether|where|why)(?:\s+\S+){0,2}$", _I)
_LIST_AFTER = re.compile(r"^(?:,\s*[^,]{1,40},|,?\s*(?:and|or)\s+[^,]{1,40},)", _I)
_BETWEEN_BEFORE = re.compile(r"\bbetween(?:\s+\S+){1,3}$", _I)
# A fronted clause before the question: "When you were writing the book, how did you choose ...?"
_FRONTED = re.compile(
    rf"^(?:when|while|if|since|as|after|before|now that|given that|once|because|being)\b[^,]*,\s+(?={_WH}|{_AUX}\b)",
    _I,
)
# Words a whole phrase does not end with.
_DANGLING = _words(
    "a an the of to and or but nor so than as your my our their its his her this that these those which who "
    "whom whose with for in on at by from about into is are was were be been do does did has have "
    "had will would can could should when while if because very such"
)
_TRIM = " ,;:—–-([\"'“‘"


def _clean(text: str) -> str:
    return " ".join(strip_pauses(text).split())


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _trim_dangling(text: str) -> str:
    """Drop trailing punctuation and up to three function words a phrase cannot end with ("... of the")."""
    words = text.rstrip(_TRIM).split(" ")
    for _ in range(3):
        if len(words) < 2 or words[-1].lower().strip(_TRIM) not in _DANGLING:
            break
        words.pop()
    return " ".join(words).rstrip(_TRIM)


def _cuts(body: str) -> list[int]:
    """Positions where `body` may be cut and leave a whole phrase: clause boundaries that do not break a
    list ("teaching, research, and ...") or a "between X and Y", and before preposition phrases, except
    right after an infinitive, whose verb may need them ("want to get | into robotics"), or inside a
    clause that has not reached its verb yet ("change what your lab | at MIT could try")."""
    cuts = []
    for m in _CLAUSE_BOUNDARY.finditer(body):
        head, rest = body[: m.start()], body[m.start() :]
        if _LIST_AFTER.match(rest) or _BETWEEN_BEFORE.search(head):
            continue
        if "," in head and len(head.rsplit(",", 1)[1].split()) <= 3:
            continue  # a short fragment after a comma is the start of a list or an aside
        cuts.append(m.start())
    for m in _PREPOSITION_BOUNDARY.finditer(body):
        head = body[: m.start()]
        if not _INFINITIVE_BEFORE.search(head) and not _OPEN_CLAUSE_BEFORE.search(head):
            cuts.append(m.start())
    return cuts


def fit(text: str, limit: int = MAX_TITLE, end: str = "") -> str:
    """`text` (ending in `end`) in at most `limit` characters, cut at the latest phrase boundary that fits.

    With no boundary that fits, the first clause is kept up to its last whole word that leaves a phrase
    (no trailing "the", "of", "and", ...), with no ellipsis: a shorter whole phrase reads better than a
    longer cut one. A single word longer than the limit is cut at the limit, the only cut inside a word.
    """
    body = _clean(text).rstrip(" ,;:—–-")
    if end:
        body = body.rstrip("?.!").rstrip(_TRIM)
    if len(body) + len(end) <= limit:
        return body + end
    room = limit - len(end)
    best = ""
    for position in _cuts(body):
        candidate = _trim_dangling(body[:position])
        if len(best) < len(candidate) <= room and len(candidate.split()) >= 2:
            best = candidate
    if best:
        return best + end
    clause = re.split(r",\s|;\s|\s[—–]\s", body, maxsplit=1)[0]
    words: list[str] = []
    for word in clause.split(" "):
        if len(" ".join([*words, word])) > room:
            break
        words.append(word)
    if words:
        return _trim_dangling(" ".join(words)) + end
    return body[:room].rstrip(_TRIM) + end


def shorten(text: str, limit: int = MAX_TITLE) -> str:
    """Whitespace collapsed, pause tags dropped, and, when longer than `limit`, the whole sentences that fit
    or else the first sentence cut at a phrase boundary: whole words, no ellipsis; a cut question keeps its
    question mark."""
    text = _clean(text)
    if len(text) <= limit:
        return text
    parts = sentences(text)
    kept = ""
    for sentence in parts:
        joined = f"{kept} {sentence}".strip()
        if len(joined) > limit:
            break
        kept = joined
    if kept:
        return kept
    first = parts[0] if parts else text
    return fit(first, limit, "?" if first.rstrip("\"')”’ ").endswith("?") else "")


def _strip_interjections(text: str) -> str:
    while True:
        stripped = _INTERJECTION.sub("", text, count=1)
        if stripped == text or not stripped.strip(" ?.!"):
            return text
        text = stripped


def _question_part(text: str) -> str:
    """The question after a dash or colon, when it reads whole (a question word and three words or more)."""
    for m in _SPLIT.finditer(text):
        after = text[m.end() :]
        if _QUESTION_START.match(after) and len(after.split()) >= 3:
            return after
    return text


def _direct(clause: str) -> tuple[str, bool]:
    """An indirect question as a direct one ("how you design X" -> "How do you design X"), or, where no
    simple rule fits, the clause as a topic ("How you got into robotics"). Returns (text, is_question)."""
    clause = clause.rstrip(" ?.!")
    if _DIRECT.search(clause):
        return clause, True
    m = _INVERT.match(clause)
    participle = re.match(r"\s*(\w+)", clause[m.end() :]) if m else None
    if m and not (  # "whether you have any advice": "have" is the verb here, so it takes "do" below
        m["aux"].lower() in ("have", "has", "had")
        and not (participle and (participle[1].lower().endswith(("ed", "en")) or participle[1].lower() in _PAST))
    ):
        wh = "" if m["wh"].lower() in ("whether", "if") else m["wh"] + " "
        return f"{wh}{m['aux']} {m['subj']} {clause[m.end():]}".strip(), True
    m = _DO_SUPPORT.match(clause)
    if m and not m["verb"].lower().endswith(("ed", "s")) and m["verb"].lower() not in _PAST:
        wh = "" if m["wh"].lower() in ("whether", "if") else m["wh"] + " "
        return f"{wh}do {clause[m.start('subj'):]}", True
    return clause, False


def _unwrap(text: str) -> tuple[str, bool]:
    """The question without a request lead-in; (text, is_question). A lead-in followed by "about X", or an
    "explain"/"describe" followed by "the X", "your X", ... leaves a topic: "X", "The X", "Your X"."""
    m = _START_BY.match(text)
    if m and text[m.end() :].strip(" ?.!"):
        return _ABOUT.sub("", text[m.end() :]).rstrip(" ?.!"), False
    m = _REQUEST.match(text)
    if not m:
        return text, True
    rest = text[m.end() :]
    if _ABOUT.match(rest) and len(rest.split()) >= 2:
        rest = _ABOUT.sub("", rest)
        return _direct(rest) if _CLAUSE.match(rest) else (rest.rstrip(" ?.!"), False)
    if _CLAUSE.match(rest) and len(rest.split()) >= 2:
        direct, is_question = _direct(rest)
        again = _REQUEST.match(direct) if is_question else None
        return _unwrap(direct) if again and again.end() < len(direct) else (direct, is_question)
    if _TOPIC_VERB.search(m.group().rstrip(" ,:")) and _TOPIC_NOUN.match(rest) and len(rest.split()) >= 2:
        return rest.rstrip(" ?.!"), False
    if re.match(rf"^{_AUX}\s+{_PRONOUN}\b", rest, _I):
        return rest, True
    return text, True


def title_from_question(sentence: str, limit: int = MAX_TITLE) -> str | None:
    """The title a person would write for a host's question sentence, or None when nothing is left."""
    text = _strip_interjections(_clean(sentence))
    part = _question_part(text)
    if part is not text:
        text = _strip_interjections(part)
    text = _TRAILING_ETC.sub("", text).strip()
    text, is_question = _unwrap(text)
    text = _strip_interjections(text).strip()
    if not text.strip(" ?.!"):
        return None
    end = "?" if is_question else ""
    body = text.rstrip(" ?.!") if is_question else text.rstrip(" ?.!,;:")
    if len(body) + len(end) > limit and _FRONTED.match(body):
        body = body[_FRONTED.match(body).end() :]  # type: ignore[union-attr]
    for pattern, replacement in _FILLERS:
        if len(body) + len(end) <= limit:
            break
        body = pattern.sub(replacement, body)  # type: ignore[arg-type]
        body = re.sub(r"\s+([,;?])", r"\1", " ".join(body.split())).lstrip(" ,")
    if len(body) + len(end) > limit and body.endswith(")"):
        body = re.sub(r"\s*\([^()]*\)$", "", body)
    return _capitalize(fit(body, limit, end))
