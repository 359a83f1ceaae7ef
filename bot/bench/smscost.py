"""SMS cost: segments per short answer per language, and per typical conversation.

Short answers are every response's SMS form, rendered as the bot sends it
(topic answers with their "reply 1 for more" hint). A typical conversation's
cost is measured on what the Twilio load test actually received.
"""

from __future__ import annotations

import statistics
from typing import Any, Sequence

from bot.sms import cost

SAMPLE_ARGS = {"country_name": "Bangladesh", "contacts": "Police: 999\nChild helpline: 1098", "reference": "C7K2QX",
               "organization": "UNICEF", "minutes": "15", "message": "We can meet tomorrow at 10.", "menu": ""}


def per_language() -> dict[str, dict[str, Any]]:
    from actions.language import language_menu_arguments
    from bot.content.catalog import default_catalog

    catalog = default_catalog()
    args = {**SAMPLE_ARGS, **language_menu_arguments()}
    result = {}
    for code in catalog.languages:
        segments = {name: cost(catalog.render(name, code, channel="twilio_sms", **args).text).segments
                    for name in sorted(catalog.response_names(code))}
        worst = max(segments, key=lambda name: segments[name])
        result[code] = {"median": statistics.median(segments.values()), "max": segments[worst], "worst": worst,
                        "answers": len(segments)}
    return result


def per_conversation(answers: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Segments the bot's replies cost per conversation (each TwiML <Message> is one SMS of its own)."""
    totals = [sum(cost(text).segments for text in texts) for texts in answers if texts]
    if not totals:
        return {"conversations": 0}
    return {"conversations": len(totals), "median": statistics.median(totals), "max": max(totals),
            "mean": round(statistics.fmean(totals), 1)}
