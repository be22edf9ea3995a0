"""Which words of a text might be a person's name: the scan the redaction check runs before publishing.

Words are letters of every script (with their combining marks), joined by apostrophes and hyphens
(O'Neill, Mary-Jane). Whether a word is an ordinary English word comes from a real word-frequency list
(wordfreq's Zipf scale: 3 is once per million words); whether it is a first name from the name
dictionary the gender-guesser package ships (about 48,000 names of 54 countries, with how common each is
in Great Britain, Ireland and the USA). A word is suspect when it is

- a known first name that is not also a common English word (Zoë, Jayden, Siobhán), in any case;
- a first name used in English-speaking countries that is also a common word (Will, Grace, May), when
  written with a capital (at a sentence start only if it is a common name there: "Key", "Art" pass);
- written with a capital inside a sentence and not a common word (a surname, a place, an unknown name),
  or with a capital inside the word (McDonald, DeShawn) or after O'/D' (O'Neill);
- at a sentence start, rare in English and not an English word form (-ing, -tion...) nor written in
  lower case elsewhere in the texts;
- after a title (Mr, Mrs, Ms, Miss, Mx, Dr);
- in a script without capitals (Arabic, Chinese, Devanagari...) and not an English word.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

import regex
from wordfreq import zipf_frequency

WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*(?:-[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*)*")
COMMON_WORD = 4.0   # Zipf: about once in 10,000 words
RARE_WORD = 3.0     # Zipf: about once in a million words (the smallest wordfreq list stops there)
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "sir"}
SUFFIXES = ("ing", "ings", "ed", "tion", "tions", "sion", "ness", "ment", "ments", "ful", "ive", "ives", "ise",
            "ize", "ly", "ity", "ous", "ism", "ist", "ists", "able", "ible", "ers", "ies")
CALENDAR_NAMES = {"april", "may", "june", "july", "august", "summer", "autumn", "spring", "winter"}
CALENDAR_CONTEXT = {"in", "on", "of", "since", "until", "till", "by", "during", "early", "late", "last",
                    "next", "this", "every", "each", "from", "before", "after", "mid", "end", "through", "half"}
_ENGLISH_COLUMNS = (0, 1, 2)   # great_britain, ireland, usa in gender-guesser's data


def fold(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold()


def strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@cache
def first_names() -> dict[str, int]:
    """First name (folded, also without accents) -> how common in English-speaking countries (0 = not
    there, 1 rare ... 13 very common)."""
    import gender_guesser.detector as detector
    names: dict[str, int] = {}
    for name, genders in detector.Detector(case_sensitive=False).names.items():
        english = max((int(values[i], 16) for values in genders.values() for i in _ENGLISH_COLUMNS
                       if len(values) > i and values[i].strip()), default=0)
        for form in {fold(name), fold(strip_accents(name))}:
            names[form] = max(names.get(form, 0), english)
    return names


# The frequencies looked up are kept for 50,000 words of at most 40 characters (under 12 MB: a word
# longer than that is no name and is looked up each time), so the cache is bounded in bytes too.
CACHED_WORD_LENGTH = 40


def zipf(word: str) -> float:
    if len(word) > CACHED_WORD_LENGTH:
        return zipf_frequency(word, "en", wordlist="small")
    return _cached_zipf(word)


@lru_cache(maxsize=50_000)
def _cached_zipf(word: str) -> float:
    return zipf_frequency(word, "en", wordlist="small")


def _name_frequency(part: str) -> int | None:
    names = first_names()
    found = [names[f] for f in (fold(part), fold(strip_accents(part))) if f in names]
    return max(found) if found else None


def _suspect_part(part: str, at_start: bool, lower_elsewhere: set[str], allowed: set[str]) -> bool:
    word = fold(part)
    if word in allowed or fold(strip_accents(part)) in allowed:
        return False
    cased = [c for c in part if c.isupper() or c.islower()]
    frequency = zipf(word)
    if not cased:
        return frequency < RARE_WORD              # a script without capitals
    known = _name_frequency(part)
    english_name = known is not None and known >= 1
    if part.isupper():
        return len(part) >= 3 and english_name and frequency < COMMON_WORD   # JAMIE; not NCETM
    if not part[0].isupper():
        # lower case: a known first name that is not an ordinary word ("jayden", "zoë")
        if known is None:
            return not part.isascii() and frequency < RARE_WORD          # "дмитрий", not "café"
        return frequency < RARE_WORD or (frequency < COMMON_WORD and (
            english_name or not part.isascii() or not word.endswith(SUFFIXES)))
    if any(c.isupper() for c in part[1:]) or regex.match(r"\p{L}['’]\p{Lu}", part):
        return True                               # McDonald, DeShawn, O'Neill
    if english_name:
        if frequency < COMMON_WORD:
            return True
        return known >= 2 if at_start else True   # "Will counted" yes, "Key questions" no
    if at_start:
        if word in lower_elsewhere:
            return False
        if known is not None:
            return frequency < COMMON_WORD         # Fatima, Yusuf: names elsewhere, rare in English
        return frequency < RARE_WORD and (not part.isascii() or not word.endswith(SUFFIXES))
    return frequency < COMMON_WORD


def _sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\"“‘'(*_[")
    return not before or before[-1] in ".!?:;\n-•*#>|"


def lowercase_words(texts: Iterable[str]) -> set[str]:
    return {fold(m.group(0)) for text in texts for m in WORD.finditer(text or "") if m.group(0).islower()}


def _bare(word: str) -> str:
    for ending in ("'s", "’s", "'", "’"):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return word[: -len(ending)]
    return word


def suspects(text: str, allowed: set[str], lower_elsewhere: set[str] | None = None) -> Iterator[str]:
    """The words of `text` that might be somebody's name (possessive 's removed), in order."""
    text = unicodedata.normalize("NFC", text or "")
    lower_elsewhere = lowercase_words([text]) if lower_elsewhere is None else lower_elsewhere
    previous = ""
    for match in WORD.finditer(text):
        word = _bare(match.group(0))
        at_start = _sentence_start(text, match.start())
        after_title = previous in TITLES and word[:1].isupper()
        around = (text[max(0, match.start() - 4):match.start()], text[match.end():match.end() + 4])
        if after_title or _suspect(word, at_start, previous, around, lower_elsewhere, allowed):
            yield word
        previous = fold(word)


def _suspect(word: str, at_start: bool, previous: str, around: tuple[str, str], lower_elsewhere: set[str],
             allowed: set[str]) -> bool:
    before, after = around[0].strip(), around[1].strip()
    if fold(word) in CALENDAR_NAMES and (previous in CALENDAR_CONTEXT or before[-1:].isdigit()
                                         or after[:1].isdigit() or fold(after).startswith(("term", "half"))):
        return False                               # "in May", "June 12"; "May said" is still a name
    parts = word.split("-")
    return any(_suspect_part(part, at_start and i == 0, lower_elsewhere, allowed)
               for i, part in enumerate(parts) if part)
