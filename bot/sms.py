"""SMS encoding facts, from the smsutil library: which encoding a text needs and how many segments it costs.

GSM-7 carries 160 characters in one SMS and 153 per part when concatenated;
one character outside GSM-7 (Arabic, Cyrillic, most accents, emoji) switches
the whole message to UCS-2: 70 characters, 67 per part.
"""

from __future__ import annotations

from dataclasses import dataclass

import smsutil


@dataclass(frozen=True)
class SmsCost:
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int


def cost(text: str) -> SmsCost:
    """Encoding and number of segments the text costs as one SMS."""
    if not text:
        return SmsCost("GSM-7", 1)
    split = smsutil.split(text)
    encoding = "GSM-7" if split.encoding == "gsm0338" else "UCS-2"
    return SmsCost(encoding, len(split.parts))


TWILIO_MAX_CHARS = 1600
_PART = {"GSM-7": 153, "UCS-2": 67}


def compose(texts: list[str]) -> list[str]:
    """The bot's messages joined into as few SMS bodies as possible.

    One body when everything fits in Twilio's 1,600 characters; otherwise
    bodies split at word boundaries, each filling whole segments of its
    encoding (10 x 153 GSM-7 or 23 x 67 UCS-2 characters) so none is wasted.
    """
    joined = "\n\n".join(t.strip() for t in texts if t and t.strip())
    if not joined:
        return []
    if len(joined) <= TWILIO_MAX_CHARS:
        return [joined]
    limit = (TWILIO_MAX_CHARS // _PART[cost(joined).encoding]) * _PART[cost(joined).encoding]
    bodies: list[str] = []
    rest = joined
    while rest:
        if len(rest) <= limit:
            bodies.append(rest)
            break
        cut = rest.rfind(" ", 0, limit + 1)
        cut = max(cut, rest.rfind("\n", 0, limit + 1))
        if cut <= limit // 2:  # no space to cut at (one very long word): cut hard
            cut = limit
        bodies.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return bodies
