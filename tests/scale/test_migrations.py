"""Migrations build exactly the tables the code uses, upgrade databases made before them, and run safely in parallel."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import bot.inbound  # noqa: F401
import bot.privacy.chatlog  # noqa: F401
import bot.privacy.contacts  # noqa: F401
import bot.privacy.erasure  # noqa: F401
import bot.privacy.retention  # noqa: F401
import bot.ratelimit  # noqa: F401
from bot.cases.models import Base
from bot.db import make_engine
from bot.migrate import current_revision, ensure_schema


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        found = compare_metadata(context, Base.metadata)
    return [d for d in found if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]


def test_the_migrated_schema_is_the_models_schema(database_url):
    engine = make_engine(database_url)
    ensure_schema(engine)
    assert differences(engine) == []
    assert current_revision(engine) is not None
    ensure_schema(engine)  # idempotent


def test_a_database_made_before_migrations_is_stamped_and_upgraded(database_url):
    engine = make_engine(database_url)
    ensure_schema(engine)
    with engine.begin() as connection:  # what an old checkout left: the baseline tables, no version, no new tables
        for table in ("rate_windows", "chat_messages", "erasure_requests", "alembic_version"):
            connection.execute(text(f"DROP TABLE {table}"))
    with engine.begin() as connection:  # and no handled_at yet (SQLite 3.35+ drops columns too)
        connection.execute(text("ALTER TABLE inbound_messages DROP COLUMN handled_at"))
        connection.execute(text("INSERT INTO jobs (name, last_run_at) VALUES ('purge', CURRENT_TIMESTAMP)"))
    ensure_schema(engine)
    assert differences(engine) == []
    with engine.connect() as connection:  # data kept
        assert connection.execute(text("SELECT COUNT(*) FROM jobs")).scalar() == 1


def test_several_processes_starting_at_once_migrate_once(database_url):
    engines = [make_engine(database_url) for _ in range(4)]
    errors: list[BaseException] = []

    def start(engine) -> None:
        try:
            ensure_schema(engine)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "erasure_requests" in inspect(engines[0]).get_table_names()


def test_a_database_made_by_create_all_with_todays_tables_is_recognised(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)  # a development database from before migrations
    ensure_schema(engine)
    assert differences(engine) == [] and current_revision(engine) == "0003"
