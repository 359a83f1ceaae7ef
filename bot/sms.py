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
