"""Which answer a message needs in any state (bot/risk/routing.py, used by rasa_ext/safety_policy.py)."""

import pytest

from bot.risk.routing import ANSWER, TRIAGE, route


@pytest.mark.parametrize("awaiting", [None, "consent:adult exploitation", "indicator:2", "country:shelter", "language_menu", "in_danger"])
def test_self_harm_and_danger_go_to_triage_in_every_state(awaiting):
    assert route(awaiting, "i dont want to live anymore", "goodbye", {}, None, [], "action_triage") == TRIAGE
    assert route(awaiting, "he is outside my door right now", "report_exploitation", {}, None, [], "action_triage") == TRIAGE
    assert route(awaiting, "HELP", "greet", {}, None, [], "action_triage") == TRIAGE


@pytest.mark.parametrize("text,intent", [("ok do it", "thank"), ("not now", "greet"), ("1", "nlu_fallback"),
                                         ("no he checks my phone", "report_exploitation"), ("hmm", "out_of_scope")])
def test_replies_to_an_open_yes_no_question_go_to_the_answer(text, intent):
    assert route("consent:adult exploitation", text, intent, {}, None, [], "action_triage") == ANSWER


def test_a_question_while_consent_is_open_is_answered_by_the_rules():
    assert route("consent:adult exploitation", "what are my rights at work", "ask_work_rights", {}, None, [], "action_triage") is None


def test_an_old_question_is_no_longer_open():
    assert route("consent:adult exploitation", "ok", "affirm", {}, None, [], "utter_work_rights") is None


def test_nothing_pending_and_nothing_risky_leaves_it_to_the_rules():
    assert route(None, "where can i find a doctor", "ask_health", {}, None, [], None) is None


def test_a_refusal_that_nlu_reads_as_danger_is_still_a_refusal_but_danger_words_are_not():
    ranking = {"report_immediate_danger": 0.3}
    assert route("consent:adult exploitation", "no, later, cant talk now", "report_immediate_danger", ranking, None, [],
                 "action_triage", "en") == ANSWER
    assert route("consent:adult exploitation", "no, he is outside my door right now", "report_immediate_danger", ranking, None, [],
                 "action_triage", "en") == TRIAGE
    # self-harm is never taken for an answer, whatever words come with it
    assert route("consent:adult exploitation", "no. i want to die", "deny", {}, None, [], "action_triage", "en") == TRIAGE


def test_asking_for_a_person_answers_an_offer():
    assert route("consent:person asked for", "can i talk to someone", "request_human", {}, None, [], "action_triage", "en") == ANSWER
