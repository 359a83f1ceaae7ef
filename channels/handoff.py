"""Channel side of the hand-off: ask bot/handoff.py, off the event loop, and never let it break the bot."""

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
