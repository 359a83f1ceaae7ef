"""Alembic environment: our tables (bot/*) on the URL given by bot/migrate.py (or alembic.ini's sqlalchemy.url)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import bot.inbound  # noqa: F401  (each import registers its tables)
import bot.privacy.chatlog  # noqa: F401
import bot.privacy.contacts  # noqa: F401
import bot.privacy.erasure  # noqa: F401
import bot.privacy.retention  # noqa: F401
import bot.ratelimit  # noqa: F401
from bot.cases.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), future=True)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
