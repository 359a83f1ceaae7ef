"""The conversation side of erasure: asked once, yes erases, no keeps, a stray yes later does nothing."""

from __future__ import annotations

import pytest

import bot.privacy.erasure as erasure_module
from actions.privacy import ActionAskErase
from actions.yes_no import ActionYesNo
from bot.cases.models import Base
from bot.cases.responders import Responders
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.notify.messages import notification_text
from bot.privacy.erasure import Eraser, ErasureRequest
from tests.actions.helpers import action, run, tracker, user


@pytest.fixture
def eraser(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    Base.metadata.create_all(engine)
    store = CaseStore(engine, Responders([]), notification_text)
    instance = Eraser(store, None)
    monkeypatch.setattr(erasure_module, "default_eraser", lambda: instance)
    return instance


def bot_said(response):
    return {"event": "bot", "metadata": {"utter_action": response}}


def requests(eraser):
    with eraser.Session() as session:
        return session.query(ErasureRequest).all()


def test_delete_my_data_asks_before_anything_is_deleted(eraser):
    events, messages = run(ActionAskErase(), tracker([user("delete my data", "delete_my_data")]))
    assert [m["response"] for m in messages] == ["utter_ask_delete_confirm"]
    assert {"event": "slot", "timestamp": None, "name": "awaiting", "value": "erase"} in events
    assert requests(eraser) == []


def test_yes_records_the_request_and_says_what_goes(eraser):
    history = [user("delete my data", "delete_my_data"), action("action_ask_erase"), bot_said("utter_ask_delete_confirm"), user("1", "nlu_fallback")]
    _, messages = run(ActionYesNo(), tracker(history, {"awaiting": "erase"}))
    assert [m["response"] for m in messages] == ["utter_data_deleted"]
    assert [r.status for r in requests(eraser)] == ["pending"]


def test_an_open_child_case_is_named_in_the_answer(eraser):
    case = eraser.store.open_case("test-sender", "UNICEF", "high", "child_at_risk").case
    history = [action("action_ask_erase"), bot_said("utter_ask_delete_confirm"), user("yes", "affirm")]
    _, messages = run(ActionYesNo(), tracker(history, {"awaiting": "erase"}))
    assert [m["response"] for m in messages] == ["utter_data_deleted", "utter_data_kept_for_case"]
    assert messages[1]["reference"] == case.reference and messages[1]["organization"] == "UNICEF"


def test_no_keeps_everything(eraser):
    history = [action("action_ask_erase"), bot_said("utter_ask_delete_confirm"), user("no", "deny")]
    _, messages = run(ActionYesNo(), tracker(history, {"awaiting": "erase"}))
    assert [m["response"] for m in messages] == ["utter_delete_cancelled"] and requests(eraser) == []


def test_a_yes_long_after_the_question_deletes_nothing(eraser):
    history = [action("action_ask_erase"), bot_said("utter_ask_delete_confirm"), user("what are my rights", "ask_rights_trafficking"),
               bot_said("utter_rights_trafficking_victim"), user("yes", "affirm")]
    run(ActionYesNo(), tracker(history, {"awaiting": "erase"}))
    assert requests(eraser) == []
