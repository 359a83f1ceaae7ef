"""Schema changes go through Alembic migrations (migrations/versions), never through create_all.

`ensure_schema` brings a database to the newest revision. Every process calls
it when it first opens the database (engine_for), so it must be safe when
several start at once: on PostgreSQL an advisory lock lets one process
migrate while the others wait; on SQLite a file lock does the same. A
database made before migrations existed (tables, no alembic_version) is
recognised and stamped with the revision its tables match before upgrading.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from bot.settings import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"
# Databases made before migrations existed (create_all): the newest revision whose tables they already have.
# (revision, table, column that revision added or None), newest first.
PRE_MIGRATION_MARKERS = (("0003", "inbound_messages", "handled_at"), ("0002", "erasure_requests", None), ("0001", "cases", None))
_ADVISORY_KEY = 727_417_001  # any constant shared by every helpline process


def _config(connection: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextlib.contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[Connection]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
            connection.commit()
            try:
                yield connection
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                connection.commit()
        return
    import fcntl

    database = engine.url.database or ""
    lock_path = Path(f"{database}.migrate.lock") if database and database != ":memory:" else None
    handle = open(lock_path, "w") if lock_path else None
    try:
        if handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
        with engine.connect() as connection:
            yield connection
    finally:
        if handle:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema(engine: Engine) -> None:
    """Upgrade the database to the newest migration (idempotent, safe in parallel)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    with _one_at_a_time(engine) as connection:
        config = _config(connection)
        head = ScriptDirectory.from_config(config).get_current_head()
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" in tables:
            from alembic.runtime.migration import MigrationContext

            if MigrationContext.configure(connection).get_current_revision() == head:
                return
        else:
            inspector = inspect(connection)

            def has(table: str, column: str | None) -> bool:
                return table in tables and (column is None or column in {c["name"] for c in inspector.get_columns(table)})

            found = next((revision for revision, table, column in PRE_MIGRATION_MARKERS if has(table, column)), None)
            if found:  # made by create_all before migrations: record what it already has
                command.stamp(config, found)
        command.upgrade(config, "head")
        connection.commit()
