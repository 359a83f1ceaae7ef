"""Channel side of the hand-off and of failures: ask bot/handoff.py off the event loop, never let it break the bot,
and give a safe answer when the bot itself fails."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Optional

from bot.handoff import Handoff

logger = logging.getLogger(__name__)


async def to_responder(factory: Callable[[], Optional[Handoff]], conversation_id: str, text: str) -> bool:
    """True when a responder holds the conversation and got the message (the bot stays silent)."""
    try:
        handoff = factory()
        return bool(handoff) and await asyncio.to_thread(handoff.intercept, conversation_id, text)
    except Exception:
        logger.exception("Hand-off check failed; the bot answers this message")
        return False


async def pending_for_rest(factory: Callable[[], Optional[Handoff]], conversation_id: str) -> list[str]:
    try:
        handoff = factory()
        return await asyncio.to_thread(handoff.take_for_rest, conversation_id) if handoff else []
    except Exception:
        logger.exception("Could not read messages waiting for a REST conversation")
        return []


def safe_answer(text: str, channel: str) -> str:
    """What a person gets when the bot failed on their message: a short safe text in their language."""
    from bot.content.catalog import default_catalog
    from bot.language.detect import detect

    catalog = default_catalog()
    return catalog.render("utter_case_failed", detect(text, catalog.languages).language, channel).text
