"""The cached JSON-schema validation behaves like jsonschema.validate for Rasa's response checks."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg.callback import nlg_response_format_spec

from rasa_ext import speedups


def test_valid_responses_pass_and_invalid_ones_raise_the_same_error():
    original = jsonschema.validate
    speedups.install()
    try:
        good = {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": [{"response": "utter_greet"}]}
        jsonschema.validate(good, RemoteAction.action_response_format_spec())
        jsonschema.validate({"text": "hello"}, nlg_response_format_spec())
        for bad, schema in (({"events": "nope"}, RemoteAction.action_response_format_spec()),
                            ({"text": 5}, nlg_response_format_spec())):
            with pytest.raises(jsonschema.ValidationError) as cached:
                jsonschema.validate(bad, schema)
            with pytest.raises(jsonschema.ValidationError) as plain:
                original(bad, schema)
            assert cached.value.message == plain.value.message
    finally:
        jsonschema.validate = original
        speedups._installed = False


async def test_a_failed_tracker_save_or_read_is_an_error_not_a_silent_fallback():
    """A save kept only in this process's memory loses the message for the other servers; a failed read
    answered with no tracker processes the message as the first of a stranger's conversation."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    class Down(InMemoryTrackerStore):
        async def save(self, tracker):
            raise ConnectionError("database down")

        async def retrieve(self, sender_id):
            raise ConnectionError("database down")

        async def retrieve_full_tracker(self, sender_id):
            raise ConnectionError("database down")

    originals = (FailSafeTrackerStore.save, FailSafeTrackerStore.retrieve, FailSafeTrackerStore.retrieve_full_tracker)
    speedups._no_silent_tracker_loss()
    try:
        store = FailSafeTrackerStore(Down(Domain.empty()))
        with pytest.raises(ConnectionError):
            await store.save(DialogueStateTracker("someone", []))
        assert await store.fallback_tracker_store.retrieve("someone") is None  # nothing kept only in this process
        with pytest.raises(ConnectionError):
            await store.retrieve("someone")
        with pytest.raises(ConnectionError):
            await store.retrieve_full_tracker("someone")
    finally:
        FailSafeTrackerStore.save, FailSafeTrackerStore.retrieve, FailSafeTrackerStore.retrieve_full_tracker = originals
