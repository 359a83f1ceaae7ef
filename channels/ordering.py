"""Each conversation's messages are handled one at a time, in the order they reached the helpline.

Rasa's own lock is taken late, when a message reaches the Rasa agent; with
several servers, or one busy server, a message that arrived first can reach
its agent after a later one, and the person's words are then processed out
of order. So each channel takes a ticket the moment a message is read
(before any database work), and waits for its turn before handling it.

Behind nginx (`helpline run --servers N`) every request carries the time
nginx received it (X-Helpline-Arrival). A saturated server reads requests
late and not always in arrival order (a request on a new connection needs
more turns of the event loop than one on an open connection: measured in
`helpline scale-test`, 2 of 100 conversations), so a ticket is placed by that
time and waits a short settling window before it may be served: a message
that arrived earlier but was read a little later still goes first. The
window follows the server's own event-loop delay (SETTLE_FLOOR when idle).

With HELPLINE_LOCK_STORE_URL the tickets live in Redis and are shared by
every server (rasa_ext/lock_store.py, under their own keys); without it, one
server orders its own messages with a fair asyncio lock per conversation.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import Any, AsyncIterator, Optional

logger = logging.getLogger(__name__)

# A turn whose server died frees the conversation after this long (a normal turn takes well under a second).
TICKET_LIFETIME_SECONDS = 30.0
ARRIVAL_HEADER = "X-Helpline-Arrival"
SETTLE_FLOOR = 0.03  # seconds: the wait when the server keeps up
SETTLE_CEILING = 3.0
# a stamp further from this server's clock than this is not nginx's (a forged header, or clocks apart): ignored
STAMP_TOLERANCE = 60.0


def arrival_stamp(headers: Any, now: Optional[float] = None) -> Optional[float]:
    """When nginx received the request (seconds since the epoch), or None without a usable stamp."""
    raw = headers.get(ARRIVAL_HEADER) if headers is not None else None
    try:
        stamp = float(raw) if raw else None
    except ValueError:
        return None
    now = time.time() if now is None else now
    if stamp is None or not (now - STAMP_TOLERANCE <= stamp <= now + 1.0):
        return None
    return stamp


class LoopDelay:
    """How late this process's event loop runs timers now: the longest delay seen in the last few seconds."""

    def __init__(self, interval: float = 0.05, window: float = 3.0) -> None:
        self.interval = interval
        self.samples: collections.deque[tuple[float, float]] = collections.deque()
        self.window = window
        self._task: Optional[asyncio.Task] = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            self.samples.append((now, max(0.0, now - started - self.interval)))
            while self.samples and self.samples[0][0] < now - self.window:
                self.samples.popleft()

    def recent(self) -> float:
        return max((delay for _, delay in self.samples), default=0.0)


class ConversationOrder:
    def __init__(self, redis_url: str = "") -> None:
        self.store = None
        if redis_url:
            from rasa_ext.lock_store import AtomicRedisLockStore

            self.store = AtomicRedisLockStore(url=redis_url, key_prefix="helpline:order:")
        self._local: dict[str, asyncio.Lock] = {}
        self.delay = LoopDelay()

    def settle_seconds(self) -> float:
        """Long enough for a request that arrived earlier to be read: a few turns of this event loop."""
        return min(SETTLE_CEILING, SETTLE_FLOOR + 4 * self.delay.recent())

    async def _settle(self, arrived_at: Optional[float]) -> None:
        if arrived_at is None:
            return
        self.delay.ensure_running()
        wait = arrived_at + self.settle_seconds() - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str, arrived_at: Optional[float] = None) -> AsyncIterator[None]:
        """Hold the conversation's turn. The ticket is taken before the first await, placed by `arrived_at`
        (nginx's stamp) when there is one, else by the moment it is taken."""
        if self.store is None:
            await self._settle(arrived_at)
            lock = self._local.setdefault(conversation_id, asyncio.Lock())
            async with lock:
                yield
            if not lock.locked() and self._local.get(conversation_id) is lock and not getattr(lock, "_waiters", None):
                self._local.pop(conversation_id, None)
            return
        ticket: Optional[int] = None
        try:
            place = int(arrived_at * 1000) if arrived_at is not None else None
            ticket = self.store.issue_ticket(conversation_id, TICKET_LIFETIME_SECONDS, place=place)
            await self._settle(arrived_at)
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
