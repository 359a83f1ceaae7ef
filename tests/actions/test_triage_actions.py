"""Triage actions: who gets a case, what the person is told, consent and indicator questions."""

from __future__ import annotations

import pytest

import actions.triage as triage_module
from actions.fallback import ActionFallback
from actions.triage import ActionTriage
from actions.yes_no import ActionYesNo
from bot.cases.spool import EscalationSpool
from tests.actions.helpers import answer_to, run, tracker, user


def names(messages):
    return [m.get("response") for m in messages]


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def report(text, intent, ranking=None, **slot_values):
    event = user(text, intent)
    trk = tracker([event], slots=slot_values)
    trk.latest_message["intent_ranking"] = ranking or [{"name": intent, "confidence": 0.8}]
    return trk


def test_child_report_opens_a_unicef_case_at_once_without_consent(store):
    events, messages = run(ActionTriage(), report("i am 14 and they make me work at night", "report_child_at_risk", language="en"))
    assert names(messages) == ["utter_case_child"]
    assert slots(events)["case_organization"] == "UNICEF" and slots(events)["case_priority"] == "high"
    case = store.get(slots(events)["case_reference"])
    assert case.organization == "UNICEF" and case.language == "en"
    assert [r.responder_id for r in store.pending_outbox()] == ["unicef-1"]


def test_a_child_report_while_the_database_is_down_is_kept_and_becomes_a_case_when_it_is_back(store, tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from bot.notify.dispatcher import Dispatcher

    def down():
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(triage_module, "default_store", down)
    events, messages = run(ActionTriage(), report("i am 14 and they make me work at night", "report_child_at_risk", language="en"))
    assert names(messages) == ["utter_case_child"]  # told as usual, with the reference the case will have
    reference = slots(events)["case_reference"]
    assert EscalationSpool(tmp_path / "spool").pending() == 1 and store.list() == []

    class Sent:
        sent: list = []

        async def send(self, channel, address, text):
            self.sent.append((channel, address, text))

    import asyncio

    sender = Sent()
    dispatcher = Dispatcher(store, sender, {}, spool=EscalationSpool(tmp_path / "spool"))
    for _ in range(2):  # the database is back: the first pass stores the case, the next sends what became due
        asyncio.run(dispatcher.run_once())
    case = store.get(reference)
    assert (case.organization, case.priority, case.conversation_id) == ("UNICEF", "high", "test-sender")
    assert len(sender.sent) == 1 and reference in sender.sent[0][2]  # the UNICEF responder is notified
    assert EscalationSpool(tmp_path / "spool").pending() == 0


def test_immediate_danger_gives_numbers_first_then_an_urgent_case(store):
    events, messages = run(ActionTriage(), report("help they are beating me", "report_immediate_danger", country="BR", language="pt"))
    assert names(messages) == ["utter_emergency_contacts", "utter_case_urgent"]
    assert "190" in messages[0]["contacts"]
    assert slots(events)["case_priority"] == "urgent" and slots(events)["case_organization"] == "IOM"


def test_danger_with_unknown_country_gives_safe_advice_asks_the_country_and_still_opens_the_case(store):
    events, messages = run(ActionTriage(), report("they are coming for me", "report_immediate_danger"))
    assert names(messages) == ["utter_emergency_unknown_country", "utter_case_urgent"]
    assert slots(events)["awaiting"] == "country:emergency" and slots(events)["case_reference"]


def test_a_child_in_danger_is_an_urgent_unicef_case(store):
    events, _ = run(ActionTriage(), report("im 13 he is hitting me now", "report_immediate_danger", age=13.0))
    assert (slots(events)["case_organization"], slots(events)["case_priority"]) == ("UNICEF", "urgent")


def test_adult_exploitation_asks_consent_first_and_opens_nothing_yet(store):
    events, messages = run(ActionTriage(), report("boss keeps my passport", "report_exploitation"))
    assert names(messages) == ["utter_offer_caseworker"]
    assert slots(events)["awaiting"] == "consent:adult exploitation" and "case_reference" not in slots(events)
    assert store.list() == []


@pytest.mark.parametrize("answer,intent", [("yes", "affirm"), ("1", "nlu_fallback"), ("oui", "affirm"), ("haan", "affirm")])
def test_consent_opens_a_normal_iom_case_then_asks_skippable_questions(store, answer, intent):
    trk = answer_to("utter_offer_caseworker", answer, intent, awaiting="consent:adult exploitation", language="en")
    action = ActionYesNo() if intent == "affirm" else ActionFallback()
    events, messages = run(action, trk)
    assert names(messages) == ["utter_case_opened", "utter_indicator_documents"]
    assert slots(events)["case_priority"] == "normal" and slots(events)["awaiting"] == "indicator:0"


def test_two_indicators_raise_the_case_to_high_and_skips_count_for_nothing(store):
    trk = answer_to("utter_offer_caseworker", "yes", "affirm", awaiting="consent:adult exploitation")
    events, messages = run(ActionYesNo(), trk)
    state = slots(events)
    reference = state["case_reference"]
    answers = [("1", "nlu_fallback"), ("3", "nlu_fallback"), ("no", "deny"), ("skip", "out_of_scope"), ("2", "nlu_fallback")]
    # documents kept: yes (found); free to leave: skip; debt: no; violence: skip; wages paid: no (found)
    for text, intent in answers:
        trk = answer_to(messages[-1]["response"], text, intent, asked_by="action_yes_no", **state)
        action = ActionYesNo() if intent in ("affirm", "deny") else ActionFallback()
        events, messages = run(action, trk)
        state.update(slots(events))
    assert messages[-1]["response"] == "utter_indicators_done" and state["awaiting"] is None
    case = store.get(reference)
    assert case.priority == "high" and sorted(case.indicators) == ["documents_kept", "wages_withheld"]


def test_no_consent_means_no_case_but_information_and_numbers(store):
    trk = answer_to("utter_offer_caseworker", "no", "deny", awaiting="consent:adult exploitation", country="NP")
    events, messages = run(ActionYesNo(), trk)
    assert names(messages) == ["utter_no_consent", "utter_work_rights", "utter_emergency_contacts"]
    assert store.list() == [] and slots(events)["awaiting"] is None


def test_request_for_a_person_without_risk_explains_and_offers(store):
    _, messages = run(ActionTriage(), report("can i talk to a real person", "request_human"))
    assert names(messages) == ["utter_offer_person"] and store.list() == []


def test_request_for_a_person_after_a_report_opens_an_iom_case(store):
    events = [user("they took my passport", "report_exploitation"), user("i want a person", "request_human")]
    trk = tracker(events)
    trk.latest_message["intent_ranking"] = [{"name": "request_human", "confidence": 0.9}]
    out, messages = run(ActionTriage(), trk)
    assert names(messages) == ["utter_case_opened"] and slots(out)["case_organization"] == "IOM"


def test_a_repeated_report_creates_no_second_case(store):
    first, _ = run(ActionTriage(), report("i am 15 they hurt me", "report_child_at_risk"))
    second, _ = run(ActionTriage(), report("i am 15 they hurt me", "report_child_at_risk"))
    assert slots(first)["case_reference"] == slots(second)["case_reference"]
    assert len(store.list()) == 1


def test_database_down_still_answers_safely(monkeypatch):
    def broken():
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(triage_module, "default_store", broken)
    events, messages = run(ActionTriage(), report("help now", "report_immediate_danger", country="NP"))
    assert names(messages) == ["utter_emergency_contacts", "utter_case_failed"]
