"""Our database: one engine per URL, SQLite under var/ by default, PostgreSQL in production.

Written in SQLAlchemy's 2.0 style (future=True, select(), Session.execute) so
the 1.4 -> 2.0 upgrade is cheap.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


def make_engine(url: str) -> Engine:
    """An engine with the settings each backend needs for concurrent use."""
    if url.startswith("sqlite"):
        # a pool of open connections: SQLAlchemy 1.4 opens a new SQLite connection per session otherwise
        # (NullPool), which with our PRAGMAs was the largest cost of a message in the benchmark
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=5, max_overflow=10,
                               connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")  # deleted texts are overwritten, not left in free pages
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per URL and process, created on first use (never at import), its schema migrated to the newest."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    from bot.migrate import ensure_schema

    ensure_schema(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@lru_cache(maxsize=4)
def tracker_engine(url: str) -> Engine:
    """An engine on Rasa's tracker store database (its `events` table), for retention and erasure."""
    engine = create_engine(url, future=True)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _secure_delete(connection, _record) -> None:  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA secure_delete=ON")

    return engine


def checkpoint_sqlite(engine: Engine) -> None:
    """After deleting texts from SQLite, empty its write-ahead log, which still holds the old pages."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
