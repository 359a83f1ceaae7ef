"""A conversation's messages are handled in the order nginx received them, even when a server reads them
in another order (with Redis across servers, and in one server without it)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from channels.ordering import ConversationOrder, arrival_stamp
from tests.scale.test_lock_store import REDIS_URL, _redis_up


def test_only_a_plausible_stamp_from_nginx_counts():
    now = 1_800_000_000.0
    assert arrival_stamp({"X-Helpline-Arrival": "1799999999.512"}, now) == 1799999999.512
    assert arrival_stamp({}, now) is None
    assert arrival_stamp({"X-Helpline-Arrival": "soon"}, now) is None
    assert arrival_stamp({"X-Helpline-Arrival": str(now + 3600)}, now) is None  # would hold the conversation for an hour
    assert arrival_stamp({"X-Helpline-Arrival": str(now - 3600)}, now) is None


async def _read_out_of_order(order: ConversationOrder, conversation: str) -> list[str]:
    """Message 2 is read first; message 1, which nginx received 5 ms earlier, is read two turns of the event
    loop after it (as a request on a new connection is); message 3 much later."""
    handled: list[str] = []
    received = time.time()

    async def message(name: str, arrived_at: float, read_after_turns: int) -> None:
        for _ in range(read_after_turns):
            await asyncio.sleep(0)
        async with order.turn(conversation, arrived_at):
            handled.append(name)
            await asyncio.sleep(0.01)

    async def third() -> None:
        await asyncio.sleep(0.2)
        await message("third", received + 0.2, 0)

    await asyncio.gather(message("second", received + 0.005, 0), message("first", received, 2), third())
    return handled


async def test_one_server_handles_a_message_read_late_in_its_arrival_order():
    assert await _read_out_of_order(ConversationOrder(""), "c") == ["first", "second", "third"]


@pytest.mark.skipif(not _redis_up(), reason="Redis is not reachable on 127.0.0.1:6379")
async def test_servers_sharing_redis_handle_a_message_read_late_in_its_arrival_order():
    order = ConversationOrder(REDIS_URL)
    order.store.prefix = f"test:{uuid.uuid4().hex[:8]}:"
    assert await _read_out_of_order(order, "c") == ["first", "second", "third"]


async def test_without_a_stamp_messages_keep_the_order_they_were_read_in():
    order = ConversationOrder("")
    handled: list[int] = []

    async def message(index: int) -> None:
        async with order.turn("c"):
            handled.append(index)
            await asyncio.sleep(0.005)

    await asyncio.gather(*(message(i) for i in range(5)))
    assert handled == list(range(5))


async def test_a_message_given_up_while_waiting_does_not_block_the_conversation():
    order = ConversationOrder("")
    handled: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with order.turn("c"):
            holding.set()
            await release.wait()
            handled.append("first")

    async def message(name: str) -> None:
        async with order.turn("c"):
            handled.append(name)

    holder = asyncio.ensure_future(first())
    await holding.wait()
    given_up = asyncio.ensure_future(message("given up"))
    after = asyncio.ensure_future(message("after"))
    await asyncio.sleep(0.01)
    given_up.cancel()  # its client went away
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, after), 2)
    assert handled == ["first", "after"]
