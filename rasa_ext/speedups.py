"""Measured speed-ups for Rasa 3.6's server (see the benchmark note for before/after figures).

1. Cached JSON-schema validators.
Rasa checks every action server and NLG response with `jsonschema.validate`,
which checks the schema itself and builds a new validator on every call:
49 ms per call here (jsonschema 4.17, 2 cores), once per custom action and
once per response, so most of a message's latency. The schemas never change,
so the validator is built once per schema and reused; an invalid response
still raises the same `ValidationError` (the best match, as before).

2. A connection pool for an SQLite tracker store, and pre-ping for a
PostgreSQL one (so a database restart costs no failed message afterwards). SQLAlchemy 1.4 gives file
SQLite databases no pool, so Rasa opened a new connection for every read and
write of a tracker. PostgreSQL, the production store, is pooled already.
"""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    """Replace `jsonschema.validate` for this process (Rasa imports it inside the functions that use it)."""
    global _installed
    if _installed:
        return
    import jsonschema
    from jsonschema import exceptions
    from jsonschema.validators import validator_for

    original = jsonschema.validate
    cache: dict[str, Any] = {}

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is not None or args or kwargs:
            return original(instance, schema, cls, *args, **kwargs)
        try:
            key = json.dumps(schema, sort_keys=True)
        except (TypeError, ValueError):
            return original(instance, schema)
        validator = cache.get(key)
        if validator is None:
            kind = validator_for(schema)
            kind.check_schema(schema)
            validator = cache[key] = kind(schema)
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    jsonschema.validate = validate
    _pool_sqlite_tracker_store()
    _no_silent_tracker_loss()
    _installed = True


def _no_silent_tracker_loss() -> None:
    """Not a speed-up, a safety fix in the same place: Rasa's FailSafeTrackerStore answers a failed save
    (database down) by keeping the conversation in this process's memory and reporting success, so the
    message vanished from the shared store. Measured in `helpline scale-test`: 13 of 300 messages during a
    PostgreSQL restart. Here the error is logged as before and then raised, so the channel treats the
    message as not handled: it answers safely and the message is handled again later (channels/twilio_sms.py).
    The same for a failed read: Rasa answered it with no tracker, so the message was processed as the first
    of a new conversation (no language, no case, no history) and that stranger's tracker then saved."""
    import rasa.core.tracker_store as tracker_store

    def raising(method: str, on_error: str) -> Any:
        """The primary store's `method`; a failure is reported as Rasa reports it, then raised."""

        async def call(self: Any, *args: Any) -> Any:
            try:
                return await getattr(self._tracker_store, method)(*args)
            except Exception as error:
                getattr(self, on_error)(error)
                raise

        return call

    tracker_store.FailSafeTrackerStore.save = raising("save", "on_tracker_store_error")
    tracker_store.FailSafeTrackerStore.retrieve = raising("retrieve", "on_tracker_store_retrieve_error")
    tracker_store.FailSafeTrackerStore.retrieve_full_tracker = raising("retrieve_full_tracker", "on_tracker_store_retrieve_error")


def _pool_sqlite_tracker_store() -> None:
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy.pool import QueuePool

    original = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = original(url)
        if str(url).startswith("sqlite") and ":memory:" not in str(url):
            kwargs.update({"poolclass": QueuePool, "pool_size": 5, "max_overflow": 10,
                           "connect_args": {"check_same_thread": False}})
        elif not str(url).startswith("sqlite"):
            kwargs["pool_pre_ping"] = True  # after a database restart, stale pooled connections are replaced, not used
        return kwargs

    tracker_store.create_engine_kwargs = create_engine_kwargs
