"""What every channel does around the bot's turn, so SMS, Telegram and REST behave alike.

Before: clean the text (noting a cut), count the message against the rate
limit. After: finish an erasure the person just confirmed (Rasa has saved the
turn by then, so nothing comes back), and add the notices the person should
get: the text was cut, and, once per conversation, how to clear the chat.
Nothing here may break a turn: a failing step is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.ratelimit import Verdict
from bot.text import clean_message
from channels.services import ChannelServices

logger = logging.getLogger(__name__)


@dataclass
class Turn:
    """One inbound message on its way through a channel."""

    services: ChannelServices
    channel: str
    conversation: str
    text: str
    truncated: bool = False
    new_conversation: bool = False
    notices: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, services: ChannelServices, channel: str, conversation: str, raw_text: object) -> "Turn":
        cleaned = clean_message(raw_text)
        return cls(services, channel, conversation, cleaned.text, cleaned.truncated)

    async def rate_verdict(self) -> Verdict:
        try:
            return await asyncio.to_thread(self.services.rate_limiter.check, self.conversation)
        except Exception:
            logger.exception("Rate limit check failed; the message is answered")
            return Verdict.ALLOW

    async def language(self, app: Any) -> str:
        """The conversation's language (its tracker's slot), else the language of this text."""
        from bot.content.catalog import default_catalog
        from bot.language.detect import detect

        agent = getattr(getattr(app, "ctx", None), "agent", None)
        try:
            tracker = await agent.tracker_store.retrieve(self.conversation) if agent and agent.tracker_store else None
            language = tracker.get_slot("language") if tracker else None
        except Exception:
            language = None
        catalog = default_catalog()
        return language if language in catalog.languages else detect(self.text, catalog.languages).language

    async def render(self, app: Any, response: str) -> str:
        from bot.content.catalog import default_catalog

        return default_catalog().render(response, await self.language(app), self.channel).text

    async def finish(self, app: Any, tip: bool = True) -> list[str]:
        """After the bot's answer: erase if confirmed, then the notices to send (possibly none)."""
        notices = []
        erased = await self.erase_if_requested()
        try:
            if self.truncated:
                notices.append(await self.render(app, "utter_message_truncated"))
            if tip and self.new_conversation and not erased:
                notices.append(await self.render(app, "utter_clear_chat_tip"))
        except Exception:
            logger.exception("Could not add a notice to the answer")
        return notices

    async def erase_if_requested(self) -> bool:
        try:
            report = await asyncio.to_thread(self.services.eraser.run, self.conversation)
            return report is not None
        except Exception:
            logger.exception("Erasure after the turn failed; the dispatcher will finish it")
            return False


async def refused_answer(turn: Turn, app: Any, verdict: Verdict) -> Optional[str]:
    """The friendly answer to the first message over the rate limit; None for later ones."""
    if verdict is not Verdict.TELL:
        return None
    try:
        return await turn.render(app, "utter_rate_limited")
    except Exception:
        logger.exception("Could not render the rate-limit answer")
        return None


def message_id(channel: str, external_id: str) -> str:
    """The id Rasa stores with the person's message (UserUttered.message_id): the webhook's own id."""
    return f"{channel}:{external_id}"


async def answers_if_processed(app: Any, conversation: str, user_message_id: str) -> Optional[list[str]]:
    """A message whose server died after Rasa saved its turn must not be processed again (an escalation
    twice, a question answered twice): None when the tracker does not hold it, else the bot's answers to it,
    to be sent again (the dead server may not have sent them)."""
    from rasa.shared.core.events import BotUttered, UserUttered

    agent = getattr(getattr(app, "ctx", None), "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(conversation)
    if tracker is None:
        return None
    answers: Optional[list[str]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if answers is not None:
                break
            if event.message_id == user_message_id:
                answers = []
        elif answers is not None and isinstance(event, BotUttered) and event.text:
            answers.append(event.text)
    return answers
