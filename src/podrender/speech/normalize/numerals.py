"""Numbers read as words: dates, times, currency, percentages, ranges, decades, years,
ordinals, fractions, versions, cardinals and decimals.

The rules, in the order they run (each turns digits into words, so a later rule never sees them):

- dates: `2024-03-05` and `2024/03/05` → "March fifth, twenty twenty four"; `March 5, 2024`,
  `Mar. 5th` → "March fifth, twenty twenty four"; `5 March 2024` → "the fifth of March, twenty twenty four"
- times: `3:30 pm` → "three thirty p.m.", `10am` → "ten a.m.", `14:05` → "fourteen oh five",
  `10:00` → "ten o'clock"; other `N:M` (a ratio) → "N to M"
- ranges: a dash or hyphen between two numbers → "to" (`5-10`, `2015–2018`); three or more numbers
  joined by hyphens (a phone number) are read digit by digit
- currency: `$5` → "five dollars", `$3.50` → "three dollars and fifty cents", `€20`, `£1.2m` →
  "one point two million pounds", `$1 billion` → "one billion dollars" (also ¥)
- percentages: `5%` → "five percent"
- decades: `1990s` → "nineteen nineties", `'90s` and `90s` → "nineties"
- ordinals: `21st` → "twenty first"
- `#3` → "number three"; `N/M`: a simple fraction (`3/4` → "three quarters") when M ≤ 10 and N < M,
  else the two numbers (`24/7` → "twenty four seven")
- versions: `3.10.2` → "three point ten point two"
- `5M`, `2B`, `3bn` → "five million", "two billion", "three billion"
- a minus sign before a number → "minus"
- years: a whole number from 1100 to 2099 written without a thousands separator is read as a year
  (`2015` → "twenty fifteen", `2008` → "two thousand eight", `1500` → "fifteen hundred", which is also
  how the quantity is said); write `1,500` to have it read as a cardinal
- every other number: cardinal (`1,000` → "one thousand"), decimals digit by digit after "point";
  whatever digits are left (glued to punctuation) are read as whole numbers, so no digit reaches the engine
- digits glued to letters are separated first (`GPT-3`, `MP3` → "GPT three", "MP three")

Words are American style: no "and" inside numbers ("one hundred five"), no hyphens ("twenty one"): what
num2words' English says with those taken out (tests/test_normalize.py compares them).
"""

from __future__ import annotations

import re

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_MONTH_OF = {m.lower(): m for m in _MONTHS}
_MONTH_OF.update({m[:3].lower(): m for m in _MONTHS})
_MONTH_OF["sept"] = "September"
_MONTH_NAME = r"(?:January|February|March|April|May|June|July|August|September|October|November|December" \
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"  # fmt: skip

#: Longer whole numbers are read digit by digit.
MAX_DIGITS = 15
#: A number as written: 1,234,567 or 1234, with optional decimals.
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

_ISO_DATE = re.compile(r"(?<![\w/.-])(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?![\w/-]|\.\d)")
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAME})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}})\b)?")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH_NAME})\b(?:,? (\d{{4}})\b)?")
_AMPM = r"(?:[ap]\.m\.|[ap]m\b|[AP]\.M\.|[AP]M\b)"
_CLOCK = re.compile(rf"(?<![\w:.])(\d{{1,2}}):(\d{{2}})(?![\w:]|\.\d)(?:\s?({_AMPM}))?")
_HOUR_AMPM = re.compile(rf"(?<![\w:.,])(\d{{1,2}})\s?({_AMPM})")
_RATIO = re.compile(r"(?<![\w:.])(\d+):(\d+)(?![\w:]|\.\d)")
_PHONE = re.compile(r"(?<![\w.-])\d+(?:-\d+){2,}(?![\w-])")
_RANGE = re.compile(rf"(?<![\w.,-])([$€£¥]?(?:{_NUM}))\s?(?:[–—]|-{{1,2}})\s?(?=[$€£¥]?\d)")
_CURRENCY = re.compile(
    rf"([$€£¥])\s?({_NUM})(?:\s?(k|K|m|M|bn|b|B|thousand|million|billion|trillion)\b)?"
)
_PERCENT = re.compile(rf"([-−]?)({_NUM})\s?%")
_DECADE = re.compile(r"(?<![\w'])(?:'(\d0)|([1-9]\d{0,2}0))s\b")
_ORDINAL = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)\b")
_NUMBER_SIGN = re.compile(r"(?<![\w&])#\s?(\d+)")
_SLASH = re.compile(r"(?<![\w/.])(\d+)/(\d+)(?![\w/]|\.\d)")
_VERSION = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.]|\.\d)|(?<=version )\d+\.\d+(?![\w.]|\.\d)")
_VERSION_V = re.compile(r"(?<![\w.])[vV](?=\d+(?:\.\d+)+(?![\w.]|\.\d))")
_SCALE = re.compile(rf"(?<![\w.,])({_NUM})(M|B|bn)\b")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])-?(?=\d)|(?<=\d)(?=[A-Za-z])")
_NEGATIVE = re.compile(rf"(?<![\w.,])[-−]({_NUM})(?![\w])")
_NUMBER = re.compile(rf"(?<![\w.,])({_NUM})(?![\w]|[.,]\d)")
_ANY_DIGITS = re.compile(r"\d+")
_AMPM_STOP = re.compile(r"\b([ap]\.m\.)\.")

_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
}
_SCALES = {
    "k": "thousand", "thousand": "thousand", "m": "million", "million": "million", "b": "billion",
    "bn": "billion", "billion": "billion", "trillion": "trillion",
}  # fmt: skip
_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALE_NAMES = ("thousand", "million", "billion", "trillion", "quadrillion", "quintillion", "sextillion",
                "septillion", "octillion", "nonillion")  # fmt: skip
#: Short scale, as num2words' English has it, up to what a 33-digit number needs; largest first.
_SCALE_WORDS = tuple((1000**i, name) for i, name in reversed(list(enumerate(_SCALE_NAMES, start=1))))
_ORDINAL_WORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                 "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


def _hundreds(n: int) -> list[str]:
    """1..999 in words."""
    words = [_ONES[n // 100], "hundred"] if n >= 100 else []
    n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
    if n:
        words.append(_ONES[n])
    return words


def cardinal(value: int) -> str:
    """12 → "twelve", -3 → "minus three", 105 → "one hundred five": num2words' English, American style
    (no 'and', no hyphens or commas). Written here: importing num2words loads its 50 languages (25-35
    ms), paid by every render that reads a number afresh. From 10^33 on, digit by digit."""
    if value < 0:
        return "minus " + cardinal(-value)
    if value >= 1000 * _SCALE_WORDS[0][0]:
        return " ".join(_ONES[int(d)] for d in str(value))
    if value == 0:
        return "zero"
    words: list[str] = []
    for size, name in _SCALE_WORDS:
        if value >= size:
            words += [*_hundreds(value // size), name]
            value %= size
    return " ".join(words + _hundreds(value)) if value else " ".join(words)


def ordinal(value: int) -> str:
    """21 → "twenty first"."""
    if value < 0:
        return "minus " + ordinal(-value)
    *words, last = cardinal(value).split()
    regular = (last[:-1] + "ie" if last.endswith("y") else last) + "th"  # twentieth, hundredth
    return " ".join([*words, _ORDINAL_WORD.get(last, regular)])


def year(value: int) -> str:
    """2015 → "twenty fifteen", 2008 → "two thousand eight", 1905 → "nineteen oh five"."""
    if value < 0:
        return year(-value) + " BC"
    high, low = divmod(value, 100)
    if high == 0 or (high % 10 == 0 and low < 10) or high >= 100:
        return cardinal(value)
    tail = "hundred" if low == 0 else f"oh {cardinal(low)}" if low < 10 else cardinal(low)
    return f"{cardinal(high)} {tail}"


def number(written: str) -> str:
    """A number as written ("1,000", "3.14", "007") → words; decimals are read digit by digit."""
    whole, _, fraction = written.replace(",", "").partition(".")
    long_code = len(whole) > MAX_DIGITS  # an identifier or a long code: digit by digit
    out = " ".join(cardinal(int(d)) for d in whole) if long_code else cardinal(int(whole or "0"))
    if fraction:
        out += " point " + " ".join(cardinal(int(d)) for d in fraction)
    return out


def _plural(words: str) -> str:
    """The plural of a year or number said in words: "nineteen ninety" → "nineteen nineties"."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def _date(month: str, day: str, year_text: str | None, *, day_first: bool = False) -> str | None:
    d = int(day)
    if not 1 <= d <= 31:
        return None
    name = _MONTH_OF[month.lower().rstrip(".")]
    said = f"the {ordinal(d)} of {name}" if day_first else f"{name} {ordinal(d)}"
    if year_text:
        said += f", {year(int(year_text))}"
    return said


def _day_month(m: re.Match[str]) -> str:
    said = _date(m.group(2), m.group(1), m.group(3), day_first=True)
    if said is None:
        return m.group(0)
    return said[4:] if m.string[: m.start()].lower().endswith("the ") else said


def _iso(m: re.Match[str]) -> str:
    y, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return f"{_MONTHS[month - 1]} {ordinal(day)}, {year(y)}"


def _ampm(text: str | None) -> str:
    if not text:
        return ""
    return " a.m." if text.lower().startswith("a") else " p.m."


def _clock(m: re.Match[str]) -> str:
    hour, minute, suffix = int(m.group(1)), int(m.group(2)), m.group(3)
    if hour > 24 or minute > 59 or (suffix and not 1 <= hour <= 12):
        return _ratio(m) if not suffix else m.group(0)
    if minute == 0:
        tail = "" if suffix else (" hundred" if hour > 12 or hour == 0 else " o'clock")
    elif minute < 10:
        tail = " oh " + cardinal(minute)
    else:
        tail = " " + cardinal(minute)
    return cardinal(hour) + tail + _ampm(suffix)


def _ratio(m: re.Match[str]) -> str:
    return f"{number(m.group(1))} to {number(m.group(2))}"


def _currency(m: re.Match[str]) -> str:
    one, many, cent, cents = _CURRENCIES[m.group(1)]
    amount, scale = m.group(2).replace(",", ""), m.group(3)
    if scale:
        return f"{number(amount)} {_SCALES[scale.lower()]} {many}"
    whole, _, fraction = amount.partition(".")
    units = int(whole or "0")
    said = f"{cardinal(units)} {one if units == 1 else many}"
    if fraction and len(fraction) == 2 and cent:
        sub = int(fraction)
        if sub == 0:
            return said
        part = f"{cardinal(sub)} {cent if sub == 1 else cents}"
        return part if units == 0 else f"{said} and {part}"
    if fraction:
        return f"{number(amount)} {many}"
    return said


def _decade(m: re.Match[str]) -> str:
    if m.group(1):
        return _plural(cardinal(int(m.group(1))))
    value = int(m.group(2))
    return _plural(year(value) if value >= 1000 else cardinal(value % 100 if value >= 100 else value))


def _fraction(m: re.Match[str]) -> str:
    top, bottom = int(m.group(1)), int(m.group(2))
    if 0 < top < bottom <= 10:
        one, many = _DENOMINATORS.get(bottom, (ordinal(bottom), ordinal(bottom) + "s"))
        return f"{cardinal(top)} {one if top == 1 else many}"
    return f"{number(m.group(1))} {number(m.group(2))}"


def _plain(m: re.Match[str]) -> str:
    written = m.group(1)
    if re.fullmatch(r"\d{4}", written) and 1100 <= int(written) <= 2099:
        return year(int(written))
    return number(written)


def say_numbers(s: str) -> str:
    """Every number in `s` in words (rules in the module docstring)."""
    if not _ANY_DIGITS.search(s):
        return s
    s = _ISO_DATE.sub(_iso, s)
    s = _MONTH_DAY.sub(lambda m: _date(m.group(1), m.group(2), m.group(3)) or m.group(0), s)
    s = _DAY_MONTH.sub(_day_month, s)
    s = _CLOCK.sub(_clock, s)
    s = _HOUR_AMPM.sub(lambda m: cardinal(int(m.group(1))) + _ampm(m.group(2)), s)
    s = _RATIO.sub(_ratio, s)
    s = _PHONE.sub(lambda m: ", ".join(" ".join(cardinal(int(d)) for d in part) for part in m.group(0).split("-")), s)
    s = _RANGE.sub(r"\1 to ", s)
    s = _CURRENCY.sub(_currency, s)
    s = _PERCENT.sub(lambda m: ("minus " if m.group(1) else "") + number(m.group(2)) + " percent", s)
    s = _DECADE.sub(_decade, s)
    s = _ORDINAL.sub(lambda m: ordinal(int(m.group(1).replace(",", ""))), s)
    s = _NUMBER_SIGN.sub(lambda m: "number " + number(m.group(1)), s)
    s = _SLASH.sub(_fraction, s)
    s = _VERSION_V.sub("version ", s)
    s = _VERSION.sub(lambda m: " point ".join(cardinal(int(p)) for p in m.group(0).split(".")), s)
    s = _SCALE.sub(lambda m: f"{number(m.group(1))} {_SCALES[m.group(2).lower()]}", s)
    s = _LETTER_DIGIT.sub(" ", s)
    s = _NEGATIVE.sub(lambda m: "minus " + number(m.group(1)), s)
    s = _NUMBER.sub(_plain, s)
    s = _AMPM_STOP.sub(r"\1", s)  # "3 pm." is "three p.m." with one full stop
    return _ANY_DIGITS.sub(lambda m: number(m.group(0)), s)  # digits glued to punctuation: still words

