"""Each conversation's messages are handled one at a time, in the order they reached the helpline.

Rasa's own lock is taken late, when a message reaches the Rasa agent; with
several servers, a message that arrived first on a busy server can reach its
agent after a later one on an idle server, and the person's words are then
processed out of order. So each channel takes a ticket the moment a message
arrives (before any database work), and waits for its turn before handling
it. With HELPLINE_LOCK_STORE_URL the tickets live in Redis and are shared by
every server (the same atomic, expiring, first-come-first-served queue as
rasa_ext/lock_store.py, under its own keys); without it, one server orders
its own messages with a fair asyncio lock per conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, Optional

logger = logging.getLogger(__name__)

# A turn whose server died frees the conversation after this long (a normal turn takes well under a second).
TICKET_LIFETIME_SECONDS = 30.0


class ConversationOrder:
    def __init__(self, redis_url: str = "") -> None:
        self.store = None
        if redis_url:
            from rasa_ext.lock_store import AtomicRedisLockStore

            self.store = AtomicRedisLockStore(url=redis_url, key_prefix="helpline:order:")
        self._local: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation's turn; the ticket is taken before the first await, so arrival order counts."""
        if self.store is None:
            lock = self._local.setdefault(conversation_id, asyncio.Lock())
            async with lock:
                yield
            if not lock.locked() and self._local.get(conversation_id) is lock and not getattr(lock, "_waiters", None):
                self._local.pop(conversation_id, None)
            return
        ticket: Optional[int] = None
        try:
            ticket = self.store.issue_ticket(conversation_id, TICKET_LIFETIME_SECONDS)  # no await before this line
            await self.store.wait_turn(conversation_id, ticket, TICKET_LIFETIME_SECONDS)
        except Exception:
            logger.exception("Conversation order unavailable (Redis?); handling the message anyway")
        try:
            yield
        finally:
            if ticket is not None:
                try:
                    await asyncio.to_thread(self.store.release, conversation_id, ticket)
                except Exception:
                    logger.exception("Could not release a conversation turn; it expires by itself")
