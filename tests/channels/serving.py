"""Serve a Sanic app on a free local port for a test; no network beyond loopback."""

from __future__ import annotations

from bot.bench.serving import served  # noqa: F401  (one implementation for tests and the benchmark; it also runs Sanic's touchup once)


def channel_services(tmp_path, store=None, **env):  # type: ignore[no-untyped-def]
    """ChannelServices on a private SQLite database under tmp_path (optionally around a given CaseStore)."""
    from cryptography.fernet import Fernet

    from bot.cases.models import Base
    from bot.settings import load_settings
    from channels.services import ChannelServices

    values = {"HELPLINE_API_TOKEN": "x" * 32, "HELPLINE_PSEUDONYM_KEY": "k" * 32,
              "HELPLINE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
              "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
              "HELPLINE_TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}", **env}
    services = ChannelServices(load_settings(environ=values, root=tmp_path))
    if store is not None:
        services.__dict__["engine"] = store.Session.kw["bind"]
        services.__dict__["store"] = store
    Base.metadata.create_all(services.engine)
    return services


def database_down(*_args: object, **_kwargs: object) -> None:
    """Stands in for a database call while PostgreSQL restarts."""
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT 1", {}, Exception("the database system is starting up"))
