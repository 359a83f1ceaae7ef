"""Crisis triage in the actions: self-harm, danger now, reporters, consent and refusal in people's words,
a bare call for help, unclear answers, buttons, basic languages (issue 13)."""

from __future__ import annotations

import pytest

from actions.fallback import ActionFallback
from actions.triage import ActionTriage
from actions.yes_no import ActionYesNo
from tests.actions.helpers import action, answer_to, bot, run, tracker, user


def names(messages):
    return [m.get("response") for m in messages]


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def message(text, intent, ranking=None, history=(), **slot_values):
    trk = tracker([*history, user(text, intent)], slots=slot_values)
    trk.latest_message["intent_ranking"] = ranking or [{"name": intent, "confidence": 0.8}]
    return trk


def test_self_harm_gets_the_crisis_line_first_then_an_urgent_case_and_no_consent_question(store):
    events, messages = run(ActionTriage(), message("i want to die, i have the pills ready", "report_self_harm", country="UA", language="en"))
    assert names(messages) == ["utter_self_harm_contacts", "utter_case_self_harm"]
    assert messages[0]["contacts"].startswith("Crisis line (suicide prevention): 7333")  # sourced in content/directory.yml
    assert "112" in messages[0]["contacts"]
    assert (slots(events)["case_priority"], slots(events)["case_organization"]) == ("urgent", "IOM")
    case = store.get(slots(events)["case_reference"])
    assert case.category == "self_harm"
    notice = store.pending_outbox()[0]
    assert notice.responder_id == "iom-1" and notice.text.startswith("SELF-HARM RISK")


def test_self_harm_with_no_known_country_asks_it_in_the_same_answer(store):
    events, messages = run(ActionTriage(), message("no reason to live anymore", "report_self_harm", language="en"))
    assert names(messages) == ["utter_self_harm_unknown_country", "utter_case_self_harm"]
    assert slots(events)["awaiting"] == "country:crisis"


def test_a_country_without_a_sourced_crisis_line_gets_its_emergency_numbers(store):
    _, messages = run(ActionTriage(), message("i want to end my life", "report_self_harm", country="BY", language="ru"))
    assert names(messages)[0] == "utter_self_harm_contacts" and "Crisis line" not in messages[0]["contacts"]


def test_a_child_writing_of_self_harm_goes_to_unicef(store):
    events, _ = run(ActionTriage(), message("im 14 and i want to kill myself", "report_self_harm"))
    assert (slots(events)["case_organization"], slots(events)["case_priority"]) == ("UNICEF", "urgent")


def test_self_harm_while_the_bot_waits_for_consent_is_not_taken_for_an_answer(store):
    history = [user("boss keeps my passport", "report_exploitation"), bot("utter_offer_caseworker")]
    trk = message("no. i dont want to live anymore", "deny", history=history, awaiting="consent:adult exploitation")
    events, messages = run(ActionTriage(), trk)
    assert "utter_case_self_harm" in names(messages) and slots(events)["case_priority"] == "urgent"
    assert slots(events)["awaiting"] in (None, "country:crisis")


def test_an_adult_under_present_threat_gets_numbers_and_an_urgent_case_without_consent(store):
    events, messages = run(ActionTriage(), message("the agent is waiting outside my room right now", "report_exploitation", country="NP"))
    assert names(messages) == ["utter_emergency_contacts", "utter_case_urgent"]
    assert slots(events)["case_priority"] == "urgent"


def test_a_relative_reporting_an_adult_is_asked_in_words_for_a_reporter_with_buttons(store):
    events, messages = run(ActionTriage(), message("my sister in dubai, madam took her passport and pays nothing", "report_exploitation", language="en"))
    assert names(messages) == ["utter_offer_caseworker_reporter"]
    assert messages[0]["choices"] == [(1, "Yes"), (2, "No")]  # inline buttons on Telegram
    assert slots(events)["awaiting"] == "consent:third-party report" and store.list() == []
    trk = answer_to("utter_offer_caseworker_reporter", "ok yes please help her", "thank", awaiting="consent:third-party report")
    events, messages = run(ActionYesNo(), trk)
    case = store.get(slots(events)["case_reference"])
    assert (case.organization, case.category) == ("IOM", "third_party_report") and "third-party report" in case.summary


def test_a_parent_reporting_harm_to_a_child_gets_the_reporter_wording_not_you_are_not_in_trouble(store):
    events, messages = run(ActionTriage(), message("my son is 12 and the kiln owner beats him", "report_child_at_risk"))
    assert names(messages) == ["utter_case_child_reporter"] and slots(events)["case_organization"] == "UNICEF"


@pytest.mark.parametrize("text,intent", [
    ("no not now", "deny"),
    ("later maybe", "out_of_scope"),
    ("no my husband checks my phone", "report_exploitation"),
    ("2", "nlu_fallback"),
])
def test_a_refusal_in_own_words_is_final_no_case_but_rights_and_numbers(store, text, intent):
    trk = answer_to("utter_offer_caseworker", text, intent, awaiting="consent:adult exploitation", country="NP", language="en")
    events, messages = run(ActionYesNo(), trk)
    assert names(messages) == ["utter_no_consent", "utter_work_rights", "utter_emergency_contacts"]
    assert store.list() == [] and slots(events)["consent_refused"] is True
    # a later report is not offered again: the refusal stands until they ask for a person
    later = message("he also keeps my phone", "report_exploitation", consent_refused=True)
    events, messages = run(ActionTriage(), later)
    assert names(messages) == ["utter_no_consent"] and store.list() == []


def test_an_adult_who_mentions_hours_people_and_money_after_refusing_gets_no_case(store):
    trk = answer_to("utter_offer_caseworker", "no thanks, we are 15 in one room and work 16 hours, i owe 12 dollars", "report_exploitation",
                    awaiting="consent:adult exploitation")
    run(ActionYesNo(), trk)
    assert store.list() == []


def test_an_unclear_answer_is_asked_once_more_then_the_question_closes(store):
    trk = answer_to("utter_offer_caseworker", "hmm", "out_of_scope", awaiting="consent:adult exploitation", language="en")
    events, messages = run(ActionYesNo(), trk)
    assert names(messages) == ["utter_answer_unclear", "utter_offer_caseworker"]
    assert messages[1]["choices"] == [(1, "Yes"), (2, "No")]
    assert slots(events) == {"reasked": "consent:adult exploitation"}
    trk = answer_to("utter_offer_caseworker", "hmm", "out_of_scope", awaiting="consent:adult exploitation", reasked="consent:adult exploitation",
                    language="en")
    events, messages = run(ActionYesNo(), trk)
    assert names(messages) == ["utter_how_can_help"] and slots(events)["awaiting"] is None and store.list() == []


def test_a_bare_call_for_help_gets_emergency_guidance_and_the_danger_question(store):
    events, messages = run(ActionTriage(), message("HELP", "report_immediate_danger", country="NP", language="en"))
    assert names(messages) == ["utter_emergency_contacts", "utter_ask_in_danger"]
    assert messages[1]["choices"] == [(1, "Yes"), (2, "No")]
    assert slots(events)["awaiting"] == "in_danger" and store.list() == []


def test_yes_to_the_danger_question_opens_an_urgent_case_and_no_gives_the_menu(store):
    events, messages = run(ActionYesNo(), answer_to("utter_ask_in_danger", "yes they are here", "affirm", awaiting="in_danger"))
    assert names(messages) == ["utter_case_urgent"] and slots(events)["case_priority"] == "urgent"
    store2_events, messages = run(ActionYesNo(), answer_to("utter_ask_in_danger", "no im ok just need info", "deny", awaiting="in_danger"))
    assert names(messages) == ["utter_help_menu"] and slots(store2_events)["awaiting"] is None


def test_an_old_open_question_does_not_take_a_later_yes(store):
    history = [action("action_triage"), bot("utter_offer_caseworker"), user("what are my rights", "ask_work_rights"),
               action("utter_work_rights"), bot("utter_work_rights")]
    trk = tracker([*history, user("yes", "affirm")], slots={"awaiting": "consent:adult exploitation"})
    _, messages = run(ActionYesNo(), trk)
    assert names(messages) == ["utter_how_can_help"] and store.list() == []


def test_a_basic_language_message_not_understood_gets_the_basic_menu_not_an_urgent_case(store):
    trk = message("ວຽກຂອງຂ້ອຍ ເງິນເດືອນ ເທົ່າໃດ", "report_immediate_danger", ranking=[{"name": "report_immediate_danger", "confidence": 0.3}],
                  language="lo")
    trk.latest_message["intent"]["confidence"] = 0.3
    _, messages = run(ActionTriage(), trk)
    assert names(messages) == ["utter_basic_menu"] and store.list() == []
    _, messages = run(ActionFallback(), tracker([user("??", "nlu_fallback")], slots={"language": "ky"}))
    assert names(messages) == ["utter_basic_menu"]


def test_a_request_for_a_person_after_an_offer_opens_the_case_only_when_nlu_is_sure(store):
    sure = answer_to("utter_offer_caseworker", "i want to talk to a real person", "request_human", awaiting="consent:adult exploitation")
    sure.latest_message["intent"]["confidence"] = 0.8
    events, messages = run(ActionYesNo(), sure)
    assert "utter_case_opened" in names(messages)
    unsure = answer_to("utter_offer_caseworker", "someone from the team", "request_human", awaiting="consent:adult exploitation", language="en")
    unsure.latest_message["intent"]["confidence"] = 0.3
    _, messages = run(ActionYesNo(), unsure)
    assert names(messages)[0] == "utter_answer_unclear"
