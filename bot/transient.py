"""Which failures come back by themselves (a database restarting, a connection dropped), so the work is
kept and tried again rather than given up or handed to a person."""

from __future__ import annotations

import asyncio


def is_transient(error: BaseException) -> bool:
    """True for an unreachable or restarting database or Redis, a dropped connection, a timeout;
    False for bugs and bad data (those would fail again)."""
    from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, TimeoutError as PoolTimeout

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, ConnectionError,
                                TimeoutError, asyncio.TimeoutError)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if _is_redis_connection_error(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _is_redis_connection_error(error: BaseException) -> bool:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover - redis is installed with Rasa
        return False
    return isinstance(error, (RedisConnectionError, RedisTimeout))
