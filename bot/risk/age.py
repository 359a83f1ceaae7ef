"""The age a message states: only an age expression of some language counts (content/triage_cues/)."""

from __future__ import annotations

from typing import Optional

from bot.risk.cues import default_cues


def stated_age(text: str) -> Optional[float]:
    """The youngest age stated in an age expression, or None.

    NLU's `age` entity is not used: it takes hours, head counts and money for
    ages ("we work 16 hours" made an adult a child).
    """
    found = default_cues().age(text)
    return float(found) if found is not None else None
