"""The atomic Redis lock store: one message of a conversation at a time, in arrival order, across servers."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from rasa_ext.lock_store import AtomicRedisLockStore, lock_store_endpoint

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="Redis is not reachable on 127.0.0.1:6379")


def two_servers() -> tuple[AtomicRedisLockStore, AtomicRedisLockStore]:
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    return AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix), AtomicRedisLockStore(url=REDIS_URL, key_prefix=prefix)


async def test_tickets_from_two_servers_are_served_one_at_a_time_in_issue_order():
    first, second = two_servers()
    stores = [first, second]
    tickets = [stores[i % 2].issue_ticket("conv") for i in range(30)]  # two servers, interleaved
    assert tickets == list(range(1, 31))  # no ticket number twice, none lost
    held: list[int] = []
    inside = 0
    overlap = False

    async def message(index: int, ticket: int) -> None:
        nonlocal inside, overlap
        store = stores[index % 2]
        await asyncio.sleep(0.001 * ((index * 7) % 5))  # they ask in a scrambled order
        await store.wait_turn("conv", ticket)
        inside += 1
        overlap = overlap or inside > 1
        held.append(ticket)
        await asyncio.sleep(0.002)
        inside -= 1
        store.release("conv", ticket)

    await asyncio.gather(*(message(i, t) for i, t in enumerate(tickets)))
    assert not overlap
    assert held == tickets
    assert first.get_lock("conv") is None  # the last one out cleaned up


async def test_concurrent_lock_users_never_overlap():
    first, second = two_servers()
    inside = 0
    overlap = False
    done = []

    async def message(index: int) -> None:
        nonlocal inside, overlap
        async with (first if index % 2 else second).lock("conv-2"):
            inside += 1
            overlap = overlap or inside > 1
            await asyncio.sleep(0.003)
            inside -= 1
            done.append(index)

    await asyncio.gather(*(message(i) for i in range(25)))
    assert not overlap and sorted(done) == list(range(25))


async def test_a_crashed_holder_blocks_the_conversation_only_until_its_ticket_expires():
    first, second = two_servers()
    ticket = first.issue_ticket("conv-3", lock_lifetime=0.3)
    assert first.first_in_line("conv-3", ticket, 0.3)  # this server dies holding the lock
    started = time.monotonic()
    async with second.lock("conv-3"):
        waited = time.monotonic() - started
    assert 0.2 <= waited < 3


async def test_a_message_waiting_longer_than_the_lifetime_behind_a_slow_one_keeps_its_place():
    """Under load a message can wait behind its conversation's earlier ones for longer than a lock lifetime;
    it must not lose its turn (and be processed out of order) while the holder is alive and working."""
    first, second = two_servers()
    holder = first.issue_ticket("conv-4", lock_lifetime=0.3)
    waiting = [second.issue_ticket("conv-4", lock_lifetime=0.3) for _ in range(2)]
    await first.wait_turn("conv-4", holder, 0.3)
    await asyncio.sleep(0.25)  # the waiting tickets are now older than their lifetime
    order = []

    async def message(ticket: int) -> None:
        await second.wait_turn("conv-4", ticket, 0.3)
        order.append(ticket)
        await asyncio.sleep(0.2)
        second.release("conv-4", ticket)

    tasks = [asyncio.ensure_future(message(t)) for t in waiting]
    await asyncio.sleep(0.1)
    first.release("conv-4", holder)
    await asyncio.gather(*tasks)
    assert order == waiting


async def test_tickets_placed_by_arrival_time_are_served_in_that_order_and_never_overtake_the_holder():
    """nginx stamps when a message arrived; a server that reads it late still queues it by that stamp."""
    first, second = two_servers()
    holder = first.issue_ticket("conv-5", 5, place=1_000)
    assert first.first_in_line("conv-5", holder, 5) is True
    late = second.issue_ticket("conv-5", 5, place=3_000)
    early = second.issue_ticket("conv-5", 5, place=2_000)  # arrived before `late`, read after it
    before_holder = second.issue_ticket("conv-5", 5, place=500)  # arrived even before the holder, read last
    assert second.first_in_line("conv-5", before_holder, 5) is False  # the holder keeps the lock
    order = []

    async def message(ticket: int) -> None:
        await second.wait_turn("conv-5", ticket, 5)
        order.append(ticket)
        second.release("conv-5", ticket)

    tasks = [asyncio.ensure_future(message(t)) for t in (late, early, before_holder)]
    await asyncio.sleep(0.1)
    assert order == []
    first.release("conv-5", holder)
    await asyncio.gather(*tasks)
    assert order == [before_holder, early, late]


async def test_the_waiting_messages_of_a_server_that_stopped_block_nobody_for_long():
    """A server killed with several messages of a conversation queued: each would otherwise hold up the
    conversation one lock lifetime when it reaches the head."""
    first, second = two_servers()
    for store in (first, second):
        store.waiter_grace = 0.3
    holder = second.issue_ticket("conv-6", 30)
    assert second.first_in_line("conv-6", holder, 30)
    for _ in range(3):
        first.issue_ticket("conv-6", 30)  # queued on the server that is about to stop
    later = second.issue_ticket("conv-6", 30)
    second.release("conv-6", holder)
    started = time.monotonic()
    await second.wait_turn("conv-6", later, 30)
    assert time.monotonic() - started < 2  # not 3 x 30 s


def test_no_url_means_the_in_memory_lock_of_a_single_server():
    assert lock_store_endpoint("") is None
    assert lock_store_endpoint(REDIS_URL).type == "rasa_ext.lock_store.AtomicRedisLockStore"
