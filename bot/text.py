"""Clean what a user typed before anything interprets it.

Messages arrive with odd encodings, control characters, huge pastes and, on
chat apps, a leading "/" that Rasa would read as a forced intent (`/restart`
even un-pauses a conversation handed to a person). Every channel passes user
text through `clean_user_text`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, NamedTuple

# Longest text handed to NLU; longer messages are cut (the person is told), never rejected.
MAX_NLU_CHARS = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Invisible characters that change nothing a reader sees (zero-width space, direction marks and
# overrides, word joiner, BOM, soft hyphen) are removed; ZWNJ and ZWJ stay: Persian, Urdu, Bengali
# and Devanagari spelling needs them.
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def decode_bytes(raw: bytes) -> str:
    """Decode bytes as UTF-8, replacing what is invalid instead of failing."""
    return raw.decode("utf-8", errors="replace")


class Cleaned(NamedTuple):
    text: str
    truncated: bool


def clean_message(text: object) -> Cleaned:
    """The message as safe plain text for NLU, and whether it had to be cut.

    Non-strings become "", invalid code points are dropped, control and
    zero-width characters become spaces, whitespace is collapsed, the text is
    cut at MAX_NLU_CHARS and leading slashes are removed so no user can send
    a Rasa command.
    """
    if isinstance(text, bytes):
        text = decode_bytes(text)
    if not isinstance(text, str):
        return Cleaned("", False)
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text)).replace("\ufffd", " ")
    text = _SPACES.sub(" ", text).strip()
    truncated = len(text) > MAX_NLU_CHARS
    text = text[:MAX_NLU_CHARS].strip()
    return Cleaned(text.lstrip("/").strip(), truncated)


def clean_user_text(text: object) -> str:
    """`clean_message` without the flag."""
    return clean_message(text).text


_NUMBER_ONLY = re.compile(r"^\W*(\d{1,2})\W*$", re.UNICODE)


def menu_number(text: str | None) -> int | None:
    """The number a message consists of ('2', ' 2. ', Arabic-Indic '٢', Devanagari '२'), or None."""
    match = _NUMBER_ONLY.match(text or "")
    return int(match.group(1)) if match else None


# Scripts written without spaces between words: a word there matches inside a longer run of letters.
_UNSPACED_SCRIPTS = ("LAO", "THAI", "KHMER", "MYANMAR")


def _mark_ranges() -> str:
    """Every combining mark of the Basic Multilingual Plane as a character-class body."""
    ranges: list[list[int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# A letter, digit, combining mark or joiner: Python's \w misses the vowel signs of Bengali, Devanagari and
# Lao (U+09BE "া" is a mark), so "না" (no) would match inside "জানা" (to know) without them.
_WORD_CHARACTER = "[\\w" + _mark_ranges() + "\\u200c\\u200d]"


def written_without_spaces(word: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(_UNSPACED_SCRIPTS) for ch in word)


def words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex finding any of the words (group 1 is the word found), longest first.

    Words match whole (not inside another word), except in scripts written
    without spaces, where they match anywhere.
    """
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    spaced = [re.escape(w) for w in ordered if not written_without_spaces(w)]
    unspaced = [re.escape(w) for w in ordered if written_without_spaces(w)]
    inner = _WORD_CHARACTER
    alternatives = ([rf"(?<!{inner})(?:" + "|".join(spaced) + rf")(?!{inner})"] if spaced else []) + (["|".join(unspaced)] if unspaced else [])
    return re.compile("(" + "|".join(alternatives) + ")") if alternatives else None
