"""A per-conversation lock for several Rasa servers that is atomic, first-come-first-served and expires.

Rasa Open Source's RedisLockStore reads a conversation's ticket lock, changes
it in Python and writes it back: two servers issuing tickets at the same
moment can both get the same ticket number, or overwrite each other's
tickets, so a conversation's messages can be processed at once or out of
order (rasa issue 9213; the fix was reverted and lives only in Rasa Pro).

Here every step is one Redis script, so it is atomic:
- issue: the next ticket number of the conversation (INCR), queued (by issue
         order, or by a given arrival time);
- try:   note that the ticket's server is still waiting for it; drop a holder
         whose lifetime is over and a head whose server stopped asking; true
         when this ticket holds the lock (first in the queue, nobody holding);
- release: remove the ticket; the last one out removes the conversation's keys.
Tickets are served in the order they were issued (Rasa's first-come-first-
served), however long a ticket waits behind slow ones; a holder whose server
crashed frees the conversation after the lock lifetime, and the waiting
tickets of a crashed server leave after WAITER_GRACE_SECONDS, so no
conversation is blocked for long. Expiry uses Redis's own clock.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Time between two looks at the queue while another message of the same conversation is processed.
POLL_SECONDS = 0.02
MAX_POLL_SECONDS = 0.1
# A waiting ticket whose server has not asked about it for this long is dropped (the server stopped). Generous:
# a saturated server asks late; far shorter than a lock lifetime, so a dead server's queued messages
# do not block their conversation one lifetime each.
WAITER_GRACE_SECONDS = 10.0

_NOW_MS = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

_ISSUE = _NOW_MS + """
local ticket = redis.call('INCR', KEYS[1])
local lifetime = tonumber(ARGV[1])
local place = ticket
if ARGV[2] ~= '' then place = tonumber(ARGV[2]) * 1000 + ticket % 1000 end
redis.call('ZADD', KEYS[2], place, ticket)
redis.call('HSET', KEYS[3], ticket, -lifetime)
redis.call('HSET', KEYS[5], ticket, now)
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], lifetime * 2) end
return ticket
"""

# Waiting tickets are kept alive by their server asking (every POLL_SECONDS): one not asked about for
# WAITER_GRACE belongs to a server that stopped, and leaves the queue when it reaches the head. A ticket's
# lifetime starts when it takes the lock: the holder keeps it until it releases it or that lifetime ends
# (its server died), even if a ticket placed before it arrives meanwhile (tickets placed by arrival time).
_TRY = _NOW_MS + """
local ticket = tonumber(ARGV[1])
local lifetime = tonumber(ARGV[2])
local grace = tonumber(ARGV[3])
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], lifetime * 2) end
if redis.call('ZSCORE', KEYS[2], ticket) then redis.call('HSET', KEYS[5], ticket, now) end
local holder = redis.call('GET', KEYS[4])
if holder then
  local held_until = tonumber(redis.call('HGET', KEYS[3], holder) or '0')
  if held_until >= now then
    if tonumber(holder) == ticket then return 1 end
    if not redis.call('ZSCORE', KEYS[2], ticket) then return -1 end
    return 0
  end
  redis.call('ZREM', KEYS[2], holder)
  redis.call('HDEL', KEYS[3], holder)
  redis.call('HDEL', KEYS[5], holder)
  redis.call('DEL', KEYS[4])
  if tonumber(holder) == ticket then return -1 end
end
while true do
  local first = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not first then return -1 end
  local seen = tonumber(redis.call('HGET', KEYS[5], first) or '0')
  if now - seen > grace then
    redis.call('ZREM', KEYS[2], first)
    redis.call('HDEL', KEYS[3], first)
    redis.call('HDEL', KEYS[5], first)
    if tonumber(first) == ticket then return -1 end
  elseif tonumber(first) == ticket then
    redis.call('HSET', KEYS[3], ticket, now + lifetime)
    redis.call('SET', KEYS[4], ticket, 'PX', lifetime * 2)
    return 1
  else
    if not redis.call('ZSCORE', KEYS[2], ticket) then return -1 end
    return 0
  end
end
"""

_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]) end
return 1
"""


class AtomicRedisLockStore(LockStore):
    """Configured from endpoints (type rasa_ext.lock_store.AtomicRedisLockStore, url redis://...)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, url: Optional[str] = None,
                 key_prefix: str = "helpline:lock:") -> None:
        import redis

        url = url or (endpoint_config.url if endpoint_config else None) or "redis://127.0.0.1:6379/0"
        self.red = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = key_prefix
        self.waiter_grace = WAITER_GRACE_SECONDS
        self._issue = self.red.register_script(_ISSUE)
        self._try = self.red.register_script(_TRY)
        self._release = self.red.register_script(_RELEASE)

    def _keys(self, conversation_id: Text) -> list[str]:
        base = f"{self.prefix}{conversation_id}"
        return [f"{base}:seq", f"{base}:queue", f"{base}:expires", f"{base}:holder", f"{base}:seen"]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, place: Optional[int] = None) -> int:
        """A new ticket; served in issue order, or by `place` (an arrival time in ms; ties in issue order)."""
        try:
            return int(self._issue(keys=self._keys(conversation_id), args=[int(lock_lifetime * 1000), "" if place is None else int(place)]))
        except Exception as exc:
            raise LockError(f"Could not issue a ticket: {exc}") from exc

    def first_in_line(self, conversation_id: Text, ticket: int, lock_lifetime: float = LOCK_LIFETIME) -> Optional[bool]:
        """True: this ticket holds the lock; False: it waits; None: it expired."""
        answer = int(self._try(keys=self._keys(conversation_id), args=[ticket, int(lock_lifetime * 1000), int(self.waiter_grace * 1000)]))
        return None if answer < 0 else bool(answer)

    def release(self, conversation_id: Text, ticket: int) -> None:
        self._release(keys=self._keys(conversation_id), args=[ticket])

    async def wait_turn(self, conversation_id: Text, ticket: int, lock_lifetime: float = LOCK_LIFETIME) -> None:
        """Return when `ticket` is first in its conversation's queue; LockError if it expired meanwhile."""
        pause = POLL_SECONDS
        while True:
            first = await asyncio.to_thread(self.first_in_line, conversation_id, ticket, lock_lifetime)
            if first is None:
                raise LockError(f"The lock ticket for a conversation expired before its turn (lifetime {lock_lifetime} s).")
            if first:
                return
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, MAX_POLL_SECONDS)  # a long queue is asked about less often

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        ticket = await asyncio.to_thread(self.issue_ticket, conversation_id, lock_lifetime)
        try:
            await self.wait_turn(conversation_id, ticket, lock_lifetime)
            yield TicketLock(conversation_id)
        finally:
            try:
                await asyncio.to_thread(self.release, conversation_id, ticket)
            except Exception:
                logger.exception("Could not release a conversation lock; it expires by itself")

    # Rasa's LockStore interface, for callers that look at the lock itself
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return TicketLock(conversation_id) if self.red.exists(self._keys(conversation_id)[1]) else None

    def delete_lock(self, conversation_id: Text) -> None:
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:  # tickets live in Redis, not in a TicketLock
        return None

    def is_someone_waiting(self, conversation_id: Text) -> bool:
        return int(self.red.zcard(self._keys(conversation_id)[1]) or 0) > 1

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.release(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        self.release(conversation_id, ticket_number)


def lock_store_endpoint(url: str, kind: str = "atomic") -> Optional[EndpointConfig]:
    """The endpoint for HELPLINE_LOCK_STORE_URL (None: Rasa's in-memory lock, right for one server).

    kind "stock" gives Rasa Open Source's own RedisLockStore, only to compare the two (the scale test).
    """
    if not url:
        return None
    if kind == "stock":
        from urllib.parse import urlparse

        parsed = urlparse(url)
        return EndpointConfig(url=parsed.hostname or "localhost", type="redis", port=parsed.port or 6379,
                              db=int((parsed.path or "/0").strip("/") or 0))
    return EndpointConfig(url=url, type=f"{__name__}.AtomicRedisLockStore")

