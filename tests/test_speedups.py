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
