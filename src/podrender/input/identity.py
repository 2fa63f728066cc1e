"""Who is who: fold the labels of one person into one speaker, named as the document names them.

Real transcripts name people several ways. After a script is parsed (any format), these rules run in
order; each fold is recorded with its reason (`Script.folds`, shown by `podrender inspect`):

1. `Full Name (AB):` then `AB:` - one speaker, `Full Name`, with `AB` (and the bracketed label) as
   aliases. A bracket that is not a short name (`Q (cont.):`, `Mary (laughing):`) is a note, and so is a
   degree after a comma (`Ann Lee, PhD:`): the turn is the speaker's before it (`Q`, `Mary`, `Ann Lee`).
2. A nickname written `First (Nick) Last` or `First "Nick" Last` in the title or the introduction, or a
   speaker saying "call me Nick", where both are labels: one speaker, named by the label used most.
3. An honorific or title with a surname (`MS. PSAKI:`, `SECRETARY FUDGE:`) takes the full name the
   document gives (`Jen Psaki`), when exactly one first name stands before that surname in it.
4. Q&A: a `Q:`/`A:` turn (or `CALLER:`, `AUDIENCE MEMBER:`, `REPORTER:` ...) that opens with a
   self-introduction ("Hi, this is Pieter Wuille", "I'm Ana") or that a moderator announces ("we'll go
   to Steve Holland with Reuters") is that person's, and so are the later turns of the same label until
   the next introduction. Before anyone is introduced, a title "Interview ... by NAME" names the `Q:`
   asker, "An interview with NAME" the `A:` answerer, and a front matter that lists one speaker names
   the `A:` answerer. (Unlabeled talk stays the narrator's: the chapters' host is the first labeled
   speaker.)
4b. An interview whose questions are bold paragraphs with no label (podrender.input.formats.boldqa): the
   questions are the asker's that a byline names ("Interviewed by NAME", a line "By NAME", a web page's
   author), the answers the guest's that the title or introduction names ("An interview with NAME",
   "Q&A with NAME", "NAME on ...", "we talked to NAME"), unless voices.yaml's `host:`/`qa:` names them;
   both sides are recorded, also when no name was found (`Host`, `Guest`).
5. A heading that ends with a speaker's name in brackets (`## Introduction (Elizabeth Crites)`): the
   unlabeled paragraphs under it are that speaker's, up to the next label.

A speaker or alias that voices.yaml names is never folded away, and `fold_names: false` turns all of
this off. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from podrender.input.formats.labels import display_name, qa_map, speaker_key
from podrender.input.script import DEFAULT_QA, Fold, ParseOptions, Script, Turn, split_label

#: A bracket that is a short name or initials: `AvW`, `SP`, `JJ`, `P`.
_INITIALS = re.compile(r"^[A-ZÀ-ÖØ-Þ][^\W\d_]{0,4}$")
_SHORT_NAME = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'’-]{0,19}$")
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_UPPER = r"(?-i:[A-ZÀ-ÖØ-Þ])"
_CAP = rf"{_UPPER}[\w'’-]*"
#: Space between two words of a name: a line may break between them, a paragraph may not.
_GAP = r"(?:[^\S\n]+\n?[^\S\n]*|\n[^\S\n]*)"
#: `First (Nick) Last`, `First "Nick" Last`.
_NICKNAME = re.compile(
    rf"(?<![\w'’])(?P<first>{_CAP})\s+(?:\((?P<n1>{_CAP})\)|[\"“‘'](?P<n2>{_CAP})[\"”’'])\s+(?P<last>{_CAP})"
)
#: "You can call me Sasha" (not "don't call me Sasha").
_CALL_ME = re.compile(rf"\bcall me\s+(?P<nick>{_CAP})(?![\w'’-])", re.IGNORECASE)
_NEGATION = re.compile(r"(?:n't|n’t|\bnot|\bnever|\bno)\s*$", re.IGNORECASE)
MAX_CALL_ME_TURNS = 2000
#: Words that can stand before a surname without being a first name.
_NOT_FIRST = frozenset(
    re.findall(
        r"\w+",
        """a an and as at but by for from in into of on or the to with without about after before between via
        dear thanks thank hello hi hey yes no ok okay so well oh today tonight this that these those his her
        their our your my its said says asked told when while if then than also just not""",
    )
)
#: Words that open a turn before a self-introduction: "Hi. Good morning. This is Kemi Osukoya ..."
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|yes|yeah|sure|thanks|thank you|good (?:morning|afternoon|evening)|everyone|all|"
    r"there|folks|guys|so|okay|ok|well)[\s,.!;—–-]*)*",
    re.IGNORECASE,
)
_SELF_INTRO = re.compile(
    rf"^(?:this is|i'm|i’m|i am|my name is|it's|it’s)\s+(?P<name>{_CAP}(?:\s+{_CAP}){{0,2}})",
    re.IGNORECASE,
)
_ANNOUNCE = re.compile(
    rf"\b(?:go(?:ing)? (?:to|over to)|turn to|call on|hear from|question (?:comes )?from|next up is|goes to)\s+"
    rf"(?P<name>{_CAP}(?:\s+{_CAP}){{0,2}})",
    re.IGNORECASE,
)
_INTERVIEW = re.compile(r"\b(?:interview|interviewed|conversation|talk|q&a|questions?)\b", re.IGNORECASE)
_BY = re.compile(rf"\bby\s+(?P<name>{_CAP}(?:\s+{_CAP}){{1,2}})(?![\w'’-]|\s+and\b)")
_WITH = re.compile(rf"\binterview with\s+(?P<name>{_CAP}(?:\s+{_CAP}){{1,2}})(?![\w'’-]|\s+and\b)", re.IGNORECASE)
#: Labels that stand for whoever asks, as `Q` does: introductions name them too.
ROLE_LABELS = frozenset({"caller", "audience", "audience member", "questioner", "reporter", "participant"})
#: How far into a turn an introduction may stand, and how much text the rules search.
INTRO_CHARS = 160
MAX_TEXT_CHARS = 200_000
#: Speakers whose surname is looked for in the text (each search reads it once): a cast a person reads through.
MAX_SURNAMES = 200
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(?P<body>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class _Person:
    """A name a rule found, and why."""

    name: str
    reason: str


class _Names:
    """The speakers of a script by speaker_key of each label and name, and which ones voices.yaml names."""

    def __init__(self, script: Script, options: ParseOptions) -> None:
        self.script = script
        self.known = {speaker_key(k): v for k, v in options.aliases.items()}
        self.configured = {speaker_key(v) for v in options.aliases.values()}
        for voice in script.voices:  # a structured script's own speakers are named on purpose
            self.configured.add(speaker_key(voice.name))
            self.configured.update(speaker_key(a) for a in voice.aliases)
        self.by_key: dict[str, str] = {}
        for speaker in script.speakers:
            self.by_key.setdefault(speaker_key(speaker), speaker)
            for label in script.labels.get(speaker, ()):
                self.by_key.setdefault(speaker_key(label), speaker)
        self.turns: dict[str, int] = {}
        for turn in script.turns:
            if turn.speaker is not None:
                self.turns[turn.speaker] = self.turns.get(turn.speaker, 0) + 1

    def protected(self, speaker: str) -> bool:
        """True when voices.yaml names this speaker (or one of its labels)."""
        key = speaker_key(speaker)
        return key in self.configured or key in self.known

    def speaker(self, name: str) -> str | None:
        return self.by_key.get(speaker_key(name))


def fold_names(script: Script, text: str, options: ParseOptions) -> Script:
    """`script` with the labels of one person folded into one speaker (the module's rules), each fold recorded."""
    if not options.fold_names or not script.speakers:
        return script
    for rule in (_brackets, _nicknames, _surnames, _questions, _bold_questions, _headings):
        script = rule(script, text, options)
    return script


# --- applying folds ------------------------------------------------------------------------------------


def _apply(
    script: Script,
    renames: Mapping[str, str],
    folds: list[Fold],
    by_turn: Mapping[int, str] = {},
    label_by_turn: bool = True,
) -> Script:
    """Speakers renamed (whole, or turn by turn), their label spellings merged in order of appearance."""
    if not renames and not by_turn:
        return script
    renames = {old: _final(renames, old) for old in renames}
    turns: list[Turn] = []
    for turn in script.turns:
        who = by_turn.get(turn.index, renames.get(turn.speaker, turn.speaker) if turn.speaker else None)
        turns.append(turn if who == turn.speaker else replace(turn, speaker=who))
    labels: dict[str, list[str]] = {}
    for turn in turns:  # spellings in order of appearance (a heading's unlabeled paragraphs carry no one's)
        if turn.speaker is not None and turn.label is not None and (label_by_turn or turn.index not in by_turn):
            spellings = labels.setdefault(turn.speaker, [])
            if turn.label not in spellings:
                spellings.append(turn.label)
    said = {t.label for t in script.turns}
    for speaker, written in script.labels.items():  # spellings no turn carries (a label with no text)
        target = renames.get(speaker, speaker)
        if target in labels:
            labels[target].extend(s for s in written if s not in said and s not in labels[target])
    return replace(
        script,
        turns=tuple(turns),
        labels={k: tuple(v) for k, v in labels.items()},
        folds=(*script.folds, *folds),
    )


def _final(renames: Mapping[str, str], name: str) -> str:
    """Where a chain of renames ends (`Ann (A)` -> `Ann` -> `Ann Lee`), stopping at a circle."""
    seen = {name}
    while name in renames and renames[name] not in seen:
        name = renames[name]
        seen.add(name)
    return name


# --- rule 1: `Full Name (AB):` ----------------------------------------------------------------------------


def _brackets(script: Script, text: str, options: ParseOptions) -> Script:
    names = _Names(script, options)
    qa = qa_map(options.qa)
    renames: dict[str, str] = {}
    folds: list[Fold] = []
    first_line: dict[str, int] = {}
    for turn in script.turns:
        if turn.label is not None:
            first_line.setdefault(turn.label, turn.line)
    for speaker in script.speakers:
        for label in script.labels.get(speaker, ()):
            base, note = split_label(label)
            if note is None or speaker_key(label) in names.known or names.protected(speaker):
                continue
            shown = display_name(base)
            line = first_line.get(label, 0)
            other = names.speaker(note)
            bracket = label.endswith(")")
            if bracket and _SHORT_NAME.match(note) and (other not in (None, speaker) or _INITIALS.match(note)):
                # A short name: the full name is the speaker, the short one an alias of it.
                target = names.speaker(base) or names.known.get(speaker_key(base)) or shown
                if other is not None and other != speaker and names.protected(other):
                    target = other  # voices.yaml's speaker wins
                if target != speaker:
                    renames[speaker] = target
                if other is not None and other not in (speaker, target) and not names.protected(other):
                    renames[other] = target
                    folds.append(Fold(note, target, f"'{label}:' at line {line}"))
                same = names.speaker(base)  # `Tomas de Wit:` elsewhere, when `TdW` is voices.yaml's speaker
                if same is not None and same not in (speaker, target) and not names.protected(same):
                    renames[same] = target
                    folds.append(Fold(same, target, f"'{label}:' at line {line}"))
            else:
                key = speaker_key(base).rstrip(".")
                target = names.speaker(base) or qa.get(key, shown)
                if target != speaker:
                    renames[speaker] = target
                    what = f"'({note})' is a note" if bracket else f"'{note}' is a degree"
                    folds.append(Fold(label, target, f"{what}, not a name (line {line})"))
    return _apply(script, renames, folds)


# --- rule 2: `First (Nick) Last` in the title or the introduction -----------------------------------------


def _introduction(script: Script) -> list[tuple[str, str]]:
    """(where, text) of the title and the narration before the first labeled turn."""
    out: list[tuple[str, str]] = []
    for turn in script.turns:
        if turn.speaker is not None:
            break
        out.append(("in the title" if turn.is_title else f"in the introduction (line {turn.line})", turn.text))
    return out


def _nicknames(script: Script, text: str, options: ParseOptions) -> Script:
    names = _Names(script, options)
    pairs: list[tuple[str, str, str]] = []  # two speakers who are one person, and why
    for where, passage in _introduction(script):
        for m in _NICKNAME.finditer(passage[:MAX_TEXT_CHARS]):
            first, nick, last = m.group("first"), m.group("n1") or m.group("n2"), m.group("last")
            a = names.speaker(first) or names.speaker(f"{first} {last}")
            b = names.speaker(nick) or names.speaker(f"{nick} {last}")
            if a is not None and b is not None:
                pairs.append((a, b, f"'{' '.join(m.group(0).split())}' {where}"))
    for turn in script.turns[:MAX_CALL_ME_TURNS]:  # "Alexander: ... You can call me Sasha."
        if turn.speaker is None:
            continue
        for m in _CALL_ME.finditer(turn.text[:MAX_TEXT_CHARS]):
            if _NEGATION.search(turn.text[max(0, m.start() - 12) : m.start()]):
                continue  # "don't call me Sasha"
            b = names.speaker(m.group("nick"))
            if b is not None:
                pairs.append((turn.speaker, b, f"{turn.label or turn.speaker} says '{m.group(0)}' (line {turn.line})"))
    renames: dict[str, str] = {}
    folds: list[Fold] = []
    for a, b, why in pairs:
        if a == b or a in renames or b in renames or (names.protected(a) and names.protected(b)):
            continue
        if names.protected(a) or (not names.protected(b) and names.turns.get(a, 0) > names.turns.get(b, 0)):
            keep, away = a, b
        else:
            keep, away = b, a
        renames[away] = keep
        folds.append(Fold(away, keep, why))
    return _apply(script, renames, folds)


# --- rule 3: `MS. PSAKI` -> Jen Psaki ---------------------------------------------------------------------


def _surname_label(speaker: str) -> str | None:
    """The surname of `Ms. Psaki`, `Secretary General Rutte`, `Mr Kirby`; None for other names."""
    from podrender.speech.names import HONORIFICS, TITLES

    words = speaker.split()
    if len(words) < 2 or not all(w.rstrip(".").casefold() in HONORIFICS or w.rstrip(".").casefold() in TITLES
                                 for w in words[:-1]):  # fmt: skip
        return None
    surname = words[-1]
    if len(surname) < 2 or surname.rstrip(".").casefold() in TITLES or not re.fullmatch(_NAME_WORD, surname):
        return None
    return surname


def _plain(text: str) -> str:
    """The text with Markdown's escaped underscores and no-break spaces as spaces, offsets kept."""
    return text[:MAX_TEXT_CHARS].replace("\\_", "  ").replace("_", " ").replace("\u00a0", " ")


def _first_name_test(confident: bool = False) -> Callable[[str], bool]:
    """Whether a word can be a first name: in the name statistics (podrender.speech.names) and no title or common
    word; `confident`: also borne by one gender almost only (Martin, not Parks or Urban: a middle name's test)."""
    from podrender.speech.names import CONFIDENT_SHARE, HONORIFICS, TITLES, first_names

    table = first_names()

    def is_first(word: str) -> bool:
        key = word.casefold()
        if key in _NOT_FIRST or key in HONORIFICS or key in TITLES:
            return False
        if confident:
            share = table.get(key)
            return share is not None and (share >= CONFIDENT_SHARE or share <= 1 - CONFIDENT_SHARE)
        return not table or key in table

    return is_first


def _surnames(script: Script, text: str, options: ParseOptions) -> Script:
    names = _Names(script, options)
    wanted = {s: surname for s in script.speakers[:MAX_SURNAMES]
              if not names.protected(s) and (surname := _surname_label(s))}  # fmt: skip
    if not wanted:
        return script
    plain = _plain(text)
    is_first, is_given = _first_name_test(), _first_name_test(confident=True)
    title_line = next((t.line for t in script.turns if t.is_title), 0)
    renames: dict[str, str] = {}
    folds: list[Fold] = []
    # One pass over the text for every surname: the given names written before each (two are enough to stop).
    surnames = sorted({w.casefold() for w in wanted.values()}, key=len, reverse=True)
    pattern = re.compile(
        rf"(?<![\w'’.])(?P<given>{_CAP}(?:{_GAP}{_CAP}){{0,2}}){_GAP}(?:{_UPPER}\.{_GAP})?"
        rf"(?P<last>(?i:{'|'.join(re.escape(w) for w in surnames)}))(?![\w'’-])"
    )
    found: dict[str, dict[str, tuple[str, int]]] = {}
    for m in pattern.finditer(plain):
        words = m.group("given").split()  # "Press Secretary Jen" -> Jen; "Martin Luther" stays, "Parks Leonard" not
        given = [words[-1]] if is_first(words[-1]) else []
        if given and len(words) > 1 and is_given(words[-2]) and is_given(words[-1]):
            given.insert(0, words[-2])
        last = m.group("last")
        seen = found.setdefault(last.casefold(), {})
        if given and len(seen) < 2 and given[-1].casefold() not in seen:  # one person: one name before the surname
            full = " ".join([*given, last])
            seen[given[-1].casefold()] = (full, plain.count("\n", 0, m.start("last")) + 1)
    for speaker, surname in wanted.items():
        firsts = found.get(surname.casefold(), {})
        if len(firsts) != 1:
            continue  # no full name, or two people of that surname
        full, line = next(iter(firsts.values()))
        if full.isupper():
            full = display_name(full)
        where = "in the title" if line == title_line else f"at line {line}"
        renames[speaker] = names.speaker(full) or names.known.get(speaker_key(full), full)
        for label in script.labels.get(speaker, (speaker,)):
            folds.append(Fold(label, renames[speaker], f"'{full}' {where}"))
    return _apply(script, renames, folds)


# --- rule 4: who asks and who answers in Q&A -----------------------------------------------------------------


def _introduced(turn_text: str, is_first: Callable[[str], bool]) -> str | None:
    """The name a turn opens with ("Hi, this is Pieter Wuille from ..."), or None."""
    head = turn_text[:INTRO_CHARS]
    rest = head[_GREETING.match(head).end():]  # type: ignore[union-attr]
    m = _SELF_INTRO.match(rest)
    if m is None:
        return None
    words = m.group("name").split()
    after = rest[m.end():].lstrip()
    if is_first(words[0]) or (len(words) > 1 and re.match(r"^(?:with|from|of|at)\b|^,", after)):
        return " ".join(words)
    return None


def _announced(turn_text: str) -> str | None:
    """The name a moderator hands the floor to at the end of a turn ("Next, we'll go to Steve Holland")."""
    found = list(_ANNOUNCE.finditer(turn_text[-400:]))
    if not found:
        return None
    words = found[-1].group("name").split()
    while words and words[-1].casefold() in _NOT_FIRST:
        words.pop()
    return " ".join(words) or None


def _front_matter_speakers(text: str) -> list[str]:
    """The `speakers:` list of a document's YAML front matter."""
    m = _FRONT_MATTER.match(text[:MAX_TEXT_CHARS])
    if m is None:
        return []
    import yaml

    try:
        data = yaml.safe_load(m.group("body"))
    except yaml.YAMLError:
        return []
    listed = data.get("speakers") if isinstance(data, dict) else None
    if isinstance(listed, str):
        listed = [listed]
    if not isinstance(listed, list):
        return []
    return [" ".join(str(s).split()) for s in listed if isinstance(s, str) and s.strip()]


def _questions(script: Script, text: str, options: ParseOptions) -> Script:
    if script.shape == "bold questions":
        return script  # _bold_questions names them
    qa = qa_map(options.qa)
    names = _Names(script, options)

    chosen = {v for k, v in options.qa.items() if DEFAULT_QA.get(k.upper()) != v}  # voices.yaml's `qa` or `host`

    def role(turn: Turn) -> str | None:
        key = speaker_key(turn.label).rstrip(".") if turn.label else None
        if key is None or turn.speaker is None or names.protected(turn.speaker) or turn.speaker in chosen:
            return None
        return key if key in qa or key in ROLE_LABELS else None

    if not any(role(t) for t in script.turns):
        return script
    is_first = _first_name_test()
    # Who stands for `q` and `a` before anyone is introduced: the title's interviewer and guest, or the
    # front matter's only speaker.
    default: dict[str, _Person] = {}
    title = next((t for t in script.turns if t.is_title), None)
    if title is not None and _INTERVIEW.search(title.text):
        if (m := _BY.search(title.text)) and is_first(m.group("name").split()[0]):
            default["q"] = _Person(m.group("name"), f"'by {m.group('name')}' in the title")
        if (m := _WITH.search(title.text)) and is_first(m.group("name").split()[0]):
            default["a"] = _Person(m.group("name"), f"'interview with {m.group('name')}' in the title")
    listed = _front_matter_speakers(text)
    if len(listed) == 1 and "a" not in default:
        default["a"] = _Person(listed[0], "the only speaker in the front matter")

    current: dict[str, _Person] = dict(default)
    by_turn: dict[int, str] = {}
    folds: list[Fold] = []
    told: set[tuple[str, str]] = set()
    previous: Turn | None = None
    for turn in script.turns:
        key = role(turn)
        if key is None:
            previous = turn
            continue
        name = _introduced(turn.text, is_first)
        if name is not None:
            current[key] = _Person(name, f"introduces themself at line {turn.line}")
        elif (
            previous is not None and previous.speaker is not None and role(previous) is None
            and (announced := _announced(previous.text)) is not None
        ):  # fmt: skip
            shown = previous.label or previous.speaker
            current[key] = _Person(announced, f"{display_name(shown)} hands over at line {previous.line}")
        person = current.get(key)
        if person is not None:
            target = names.speaker(person.name) or names.known.get(speaker_key(person.name), person.name)
            by_turn[turn.index] = target
            if (key, person.reason) not in told:
                told.add((key, person.reason))
                folds.append(Fold(turn.label or key.upper(), target, person.reason))
        previous = turn
    return _apply(script, {}, folds, by_turn)


# --- rule 4b: an interview whose questions are bold paragraphs -------------------------------------------------

_NAME = rf"(?P<name>{_CAP}(?:[^\S\n]+{_CAP}){{0,2}})(?![\w'’-])"
#: Who asks: "Interviewed by NAME", "Questions by NAME", a byline "By NAME" opening a line.
_ASKER = (
    re.compile(rf"\b(?:interviewed|interview|questions|conversation|reporting)\s+by\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"(?:^|\n)[^\w\n]*by\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"(?:^|\n)[^\w\n]*(?:words|text|interview|interviewer|questions)\s*[:|–—-]\s*{_NAME}", re.IGNORECASE),
)
#: Who answers: "An interview with NAME", "Q&A with NAME", "in conversation with NAME", "we talked to NAME".
_ANSWERER = (
    re.compile(rf"(?:\ban?\s+)?\b(?:interview|q\s*&\s*a|q\s+and\s+a|conversation|chat|talk|sit-down)\s+with\s+{_NAME}",
               re.IGNORECASE),
    re.compile(rf"\bwe\s+(?:talked|spoke|sat\s+down|caught\s+up|met)\s+(?:to|with)\s+{_NAME}", re.IGNORECASE),
)
#: A title "NAME on ...": "Maya Okafor on tide pools".
_NAME_ON = re.compile(rf"^[^\w]*(?P<name>{_CAP}(?:\s+{_CAP}){{1,2}})\s+on\s+\S.*", re.IGNORECASE)


def _found(
    patterns: tuple[re.Pattern[str], ...], where: list[tuple[str, str]], is_first: Callable[[str], bool]
) -> _Person | None:
    """The first name one of `patterns` finds in the title or the introduction, quoted with where it stands."""
    for pattern in patterns:
        for place, said in where:
            plain = " ".join(re.sub(r"[*_]+", " ", said).split(" "))
            for m in pattern.finditer(plain):
                name = " ".join(m.group("name").split())
                if is_first(name.split()[0]):
                    return _Person(name, f"'{' '.join(m.group(0).split()).strip('*_ ')}' {place}")
    return None


def _bold_questions(script: Script, text: str, options: ParseOptions) -> Script:
    """Bold questions (Q) and plain answers (A): the asker and the answerer the title or introduction names,
    unless voices.yaml names them (`host:`, `qa:`). Each side is recorded, found or not, so inspect says why."""
    if script.shape != "bold questions":
        return script
    names = _Names(script, options)
    chosen = {k.upper(): v for k, v in options.qa.items() if DEFAULT_QA.get(k.upper()) != v}
    where = _introduction(script)
    title = [(place, said) for place, said in where if place == "in the title"]
    is_first = _first_name_test()
    people: dict[str, _Person] = {}
    for key, patterns, nobody in (
        ("Q", _ASKER, "no interviewer is named in the title or introduction"),
        ("A", _ANSWERER, "no guest is named in the title or introduction"),
    ):
        places = [*where, ("in the page's byline", f"By {script.byline}")] if script.byline else where
        found = None if key in chosen else _found(patterns, places, is_first)
        if found is None and key == "A" and key not in chosen:
            found = _found((_NAME_ON,), title, is_first)
        if key in chosen:
            found = _Person(chosen[key], "voices.yaml names them" + (" (host)" if key == "Q" else ""))
        people[key] = found or _Person(DEFAULT_QA[key], nobody)
    by_turn: dict[int, str] = {}
    targets: dict[str, str] = {}
    for turn in script.turns:
        key = (turn.label or "").upper()
        if turn.speaker is None or key not in people:
            continue
        if names.protected(turn.speaker):
            targets.setdefault(key, turn.speaker)
            continue
        person = people[key]
        target = names.speaker(person.name) or names.known.get(speaker_key(person.name), person.name)
        by_turn[turn.index] = targets.setdefault(key, target)
    folds = [
        Fold(side, targets[key], people[key].reason)
        for key, side in (("Q", "bold questions"), ("A", "answers"))
        if key in targets
    ]
    script = _apply(script, {}, folds, by_turn) if by_turn else replace(script, folds=(*script.folds, *folds))
    # `Q` and `A` are the parser's marks, not spellings the document uses: not shown as the speakers' aliases.
    marks = {k for k in people if k.casefold() not in names.known}
    labels = {who: tuple(s for s in spelled if s not in marks) for who, spelled in script.labels.items()}
    return replace(script, labels={who: spelled for who, spelled in labels.items() if spelled})


# --- rule 5: a heading that names its speaker ------------------------------------------------------------------

_HEADING_NAME = re.compile(r"\((?P<name>[^()]{2,60})\)\s*$")


def _opens_with_label(line: str, label: str) -> bool:
    """True when the written line starts with the label (`**Name:**`, `Name (AB):`, `Q    text`)."""
    pattern = rf"^[\s>*_]*{re.escape(label)}[*_]*\s*(?:[:\-–—]|\s{{2,}}|\s|$)"
    return re.match(pattern, line, re.IGNORECASE) is not None


def _headings(script: Script, text: str, options: ParseOptions) -> Script:
    """`## Introduction (Elizabeth Crites)`: the unlabeled paragraphs under it are hers, up to the next label
    (the parser gave them to whoever spoke before the heading)."""
    names = _Names(script, options)
    lines = text.split("\n")
    by_turn: dict[int, str] = {}
    folds: list[Fold] = []
    starts = {m.turn_index: m for m in script.markers}
    owner: str | None = None
    for turn in script.turns:
        marker = starts.get(turn.index)
        found = _HEADING_NAME.search(marker.title) if marker is not None else None
        named = names.speaker(found.group("name")) if found is not None else None
        if marker is not None and named is not None:  # a heading that names nobody leaves the speaker as it is
            owner = named
            why = f"under the heading '{marker.title}' (line {marker.line})"
            folds.append(Fold("unlabeled paragraphs", owner, why))
        if turn.speaker is None or turn.label is None or owner is None:
            continue
        raw = lines[turn.line - 1] if 0 < turn.line <= len(lines) else ""
        if _opens_with_label(raw.replace("\u00a0", " "), turn.label):
            owner = None  # a label: its speaker speaks, and the heading's claim ends
        elif turn.speaker != owner:
            by_turn[turn.index] = owner
    if not by_turn:
        return script
    used = {by_turn[i] for i in by_turn}
    return _apply(script, {}, [f for f in folds if f.into in used], by_turn, label_by_turn=False)


__all__ = ["fold_names"]
