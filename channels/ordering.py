"""Each conversation's messages are handled one at a time, in the order they reached the helpline.

Rasa's own lock is taken late, when a message reaches the Rasa agent; with
several servers, or one busy server, a message that arrived first can reach
its agent after a later one, and the person's words are then processed out
of order. So each channel takes a ticket the moment a message is read
(before any database work), and waits for its turn before handling it.

Behind nginx (`helpline run --servers N`) every request carries the time
nginx received it (X-Helpline-Arrival), and nginx sends each conversation to
one server. A saturated server does not always read requests in arrival
order: a request on a new connection needs a few more turns of the event loop
than one on an open connection (measured in `helpline scale-test`: 2 of 100
conversations). So a ticket is placed by nginx's time and waits SETTLE_TURNS
turns of the event loop before it may be served: a message that arrived
earlier but was read a little later still goes first. When the server keeps
up, those turns take microseconds; when it is saturated, a few of its turns.

With HELPLINE_LOCK_STORE_URL the tickets live in Redis and are shared by
every server (rasa_ext/lock_store.py, under their own keys); without it, one
server orders its own messages in memory, the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Optional

logger = logging.getLogger(__name__)

# A turn whose server died frees the conversation after this long (a normal turn takes well under a second).
TICKET_LIFETIME_SECONDS = 30.0
ARRIVAL_HEADER = "X-Helpline-Arrival"
# Turns of the event loop a placed ticket waits, so that an earlier message read a little later gets in front:
# a request on a new connection reaches its handler about three turns after one on an open connection.
SETTLE_TURNS = 4
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


async def settle() -> None:
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)  # one turn of the event loop each


@dataclass(order=True)
class _Waiting:
    place: tuple[float, int]
    woken: "asyncio.Future[None]" = field(compare=False)


@dataclass
class _LocalQueue:
    """One server's queue for one conversation: served by place, one holder at a time."""

    waiting: list[_Waiting] = field(default_factory=list)
    held: bool = False

    def take(self, entry: _Waiting) -> bool:
        if self.held or not self.waiting or self.waiting[0] is not entry:
            return False
        heapq.heappop(self.waiting)
        self.held = True
        return True

    def release(self) -> None:
        self.held = False
        if self.waiting and not self.waiting[0].woken.done():
            self.waiting[0].woken.set_result(None)


class ConversationOrder:
    def __init__(self, redis_url: str = "", enabled: bool = True) -> None:
        self.enabled = enabled
        self.store = None
        if redis_url:
            from rasa_ext.lock_store import AtomicRedisLockStore

            self.store = AtomicRedisLockStore(url=redis_url, key_prefix="helpline:order:")
        self._local: dict[str, _LocalQueue] = {}
        self._reads = itertools.count()

    @contextlib.asynccontextmanager
    async def turn(self, conversation_id: str, arrived_at: Optional[float] = None) -> AsyncIterator[None]:
        """Hold the conversation's turn. The ticket is taken before the first await, placed by `arrived_at`
        (nginx's stamp) when there is one, else by the moment it is taken."""
        if not self.enabled:  # only to measure what Rasa's own lock does without it
            yield
            return
        if self.store is None:
            async with self._local_turn(conversation_id, arrived_at):
                yield
            return
        ticket: Optional[int] = None
        try:
            place = int(arrived_at * 1000) if arrived_at is not None else None
            ticket = self.store.issue_ticket(conversation_id, TICKET_LIFETIME_SECONDS, place=place)
            if arrived_at is not None:
                await settle()
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

    @contextlib.asynccontextmanager
    async def _local_turn(self, conversation_id: str, arrived_at: Optional[float]) -> AsyncIterator[None]:
        queue = self._local.setdefault(conversation_id, _LocalQueue())
        entry = _Waiting((arrived_at if arrived_at is not None else time.time(), next(self._reads)),
                         asyncio.get_running_loop().create_future())
        heapq.heappush(queue.waiting, entry)
        try:
            if arrived_at is not None:
                await settle()
            while not queue.take(entry):
                await entry.woken
                entry.woken = asyncio.get_running_loop().create_future()
        except BaseException:  # cancelled while waiting: leave the queue, let the next one go
            if entry in queue.waiting:
                queue.waiting.remove(entry)
                heapq.heapify(queue.waiting)
                if not queue.held:
                    queue.release()
            raise
        try:
            yield
        finally:
            queue.release()
            if not queue.held and not queue.waiting and self._local.get(conversation_id) is queue:
                self._local.pop(conversation_id, None)
