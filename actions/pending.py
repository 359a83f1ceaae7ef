"""Answers to the bot's own open question: a numbered menu, a country, yes/no, "1 for more".

The `awaiting` slot says which question is open:
- "language_menu": a number picks the language (action_extract_context sets it);
- "country:<purpose>": a country name answers; <purpose> is a topic key, "emergency" or "crisis";
- "confirm_country:<CC>:<purpose>": yes confirms the phone number's country, no asks for the name;
- "consent:<rule>": yes opens the case of that triage rule, no is final for that report;
- "indicator:<n>": yes / no / skip to the n-th forced-labour indicator question;
- "in_danger": after a bare call for help, yes opens an urgent case, no gives the menu;
- "erase": yes deletes the person's data (actions/privacy.py).
Yes and no are read in the person's own words (content/triage_cues/, bot/risk/cues.py),
by number, or from NLU. An unclear answer re-asks once with the numbered
choice (`reasked` remembers it); a second one closes the question.
A bare "1" right after a short SMS topic answer asks for its full form.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import previous_bot_action, previous_bot_response, slot_set_this_turn
from actions.language import language_menu_arguments
from actions.local_help import send_contacts, send_crisis, send_emergency
from bot.content.catalog import default_catalog
from bot.country import default_country_names
from bot.risk.cues import read_answer
from bot.risk.routing import awaits_yes_no
from bot.text import menu_number

Events = List[Dict[Text, Any]]

# Below this NLU confidence, "request_human" in reply to an offer may be a misread refusal
# ("no, dont call, he checks my phone"): the offer is asked again instead.
REQUEST_AS_YES_CONFIDENCE = 0.5


def _after_country(dispatcher: CollectingDispatcher, country: str, purpose: str, language: Optional[str]) -> None:
    if purpose == "emergency":
        send_emergency(dispatcher, country, language)
        return
    if purpose == "crisis":
        send_crisis(dispatcher, country, language)
        return
    topic = default_catalog().topics.get(purpose)
    send_contacts(dispatcher, country, topic.contacts if topic else ("trafficking_hotline", "iom"), language)


def ask_again(tracker: Tracker, dispatcher: CollectingDispatcher, awaiting: str) -> None:
    """The open yes/no question once more, with its numbered choice."""
    from actions.triage import offer_response, yes_no_choices
    from bot.risk.triage import default_policy

    language = tracker.get_slot("language")
    policy = default_policy()
    if awaiting.startswith("consent:"):
        decision = policy.rule(awaiting.split(":", 1)[1])
        if decision is not None:
            dispatcher.utter_message(response=offer_response(decision), choices=yes_no_choices(language))
    elif awaiting.startswith("indicator:"):
        index = int(awaiting.split(":", 1)[1])
        if index < len(policy.indicators):
            dispatcher.utter_message(response=policy.indicators[index].question, choices=yes_no_choices(language, skip=True))
    elif awaiting == "in_danger":
        dispatcher.utter_message(response="utter_ask_in_danger", choices=yes_no_choices(language))
    elif awaiting == "erase":
        dispatcher.utter_message(response="utter_ask_delete_confirm", choices=yes_no_choices(language))
    elif awaiting.startswith("confirm_country:"):
        code = awaiting.split(":")[1]
        dispatcher.utter_message(response="utter_confirm_country", country_name=default_country_names().name(code, language),
                                 choices=yes_no_choices(language))


def answer_pending(tracker: Tracker, dispatcher: CollectingDispatcher) -> Optional[Events]:
    """Handle the message as an answer to the open question; None if it is not one."""
    awaiting = tracker.get_slot("awaiting") or ""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    text = message.get("text") or ""
    number = menu_number(text)
    language = tracker.get_slot("language")

    if awaiting == "language_menu":
        if slot_set_this_turn(tracker, "language_chosen"):
            dispatcher.utter_message(response="utter_language_changed")
            return [SlotSet("awaiting", None)]
        if number is not None:  # a number outside the menu: show it again
            dispatcher.utter_message(response="utter_language_menu", **language_menu_arguments())
            return []

    if awaiting.startswith("country:") and slot_set_this_turn(tracker, "country"):
        _after_country(dispatcher, tracker.get_slot("country"), awaiting.split(":", 1)[1], language)
        return [SlotSet("awaiting", None)]

    if awaits_yes_no(awaiting) and not awaits_yes_no(awaiting, previous_bot_action(tracker), check_fresh=True):
        awaiting = ""  # the question was asked earlier and the person moved on: it is no longer open
        stale: Events = [SlotSet("awaiting", None), SlotSet("reasked", None)]
    else:
        stale = []
    if awaits_yes_no(awaiting):
        if awaiting.startswith("confirm_country:") and slot_set_this_turn(tracker, "country"):  # they named a country instead
            _after_country(dispatcher, tracker.get_slot("country"), (awaiting.split(":", 2) + [""])[2], language)
            return [SlotSet("awaiting", None)]
        answer = read_answer(text, intent, question=awaiting, language=language)
        if answer is None and intent == "request_human" and awaiting.startswith("consent:"):
            # asking for a person answers the offer of one, when NLU is sure of it; otherwise ask again
            answer = "yes" if float((message.get("intent") or {}).get("confidence") or 0.0) >= REQUEST_AS_YES_CONFIDENCE else None
        if answer is None or (answer == "skip" and not awaiting.startswith("indicator:")):
            return _unclear(tracker, dispatcher, awaiting)
        done: Events = [SlotSet("reasked", None)]
        if awaiting.startswith("confirm_country:"):
            _, code, purpose = (awaiting.split(":", 2) + [""])[:3]
            if answer == "yes":
                _after_country(dispatcher, code, purpose, language)
                return done + [SlotSet("country", code), SlotSet("awaiting", None)]
            dispatcher.utter_message(response="utter_ask_country")
            return done + [SlotSet("awaiting", f"country:{purpose}")]
        if awaiting.startswith("consent:"):
            return done + _answer_consent(tracker, dispatcher, awaiting.split(":", 1)[1], answer)
        if awaiting.startswith("indicator:"):
            return done + _answer_indicator(tracker, dispatcher, int(awaiting.split(":", 1)[1]), answer)
        if awaiting == "in_danger":
            return done + _answer_in_danger(tracker, dispatcher, answer)
        if awaiting == "erase":
            from actions.privacy import answer_erase

            return done + (answer_erase(tracker, dispatcher, answer) or [SlotSet("awaiting", None)])

    if number == 1:
        previous = previous_bot_response(tracker)
        if default_catalog().topic_of_response(previous):
            dispatcher.utter_message(response=previous, form="full")
            return stale
    return None


def _unclear(tracker: Tracker, dispatcher: CollectingDispatcher, awaiting: str) -> Events:
    """Re-ask once with the numbered choice; the second time, close the question (no case without a yes)."""
    if tracker.get_slot("reasked") == awaiting:
        dispatcher.utter_message(response="utter_how_can_help")
        return [SlotSet("awaiting", None), SlotSet("reasked", None)]
    dispatcher.utter_message(response="utter_answer_unclear")
    ask_again(tracker, dispatcher, awaiting)
    return [SlotSet("reasked", awaiting)]


def _answer_consent(tracker: Tracker, dispatcher: CollectingDispatcher, rule_name: str, answer: str) -> Events:
    """Yes opens the case of that rule now; no (not now, later, fear of a checked phone) is final for that report."""
    from actions.triage import ask_indicator, open_case
    from bot.risk.triage import default_policy

    decision = default_policy().rule(rule_name)
    if answer != "yes" or decision is None:
        dispatcher.utter_message(response="utter_no_consent")
        if rule_name in ("adult exploitation", "third-party report"):
            dispatcher.utter_message(response="utter_work_rights" if rule_name == "adult exploitation" else "utter_rights_trafficking_victim")
        events: Events = [SlotSet("awaiting", None), SlotSet("consent_refused", True)]
        if not send_emergency(dispatcher, tracker.get_slot("country"), tracker.get_slot("language")):
            events.append(SlotSet("country_asked", True))
        return events
    events = open_case(tracker, dispatcher, decision) + [SlotSet("indicator_answers", {})]
    if events and decision.category == "exploitation":
        return events + ask_indicator(dispatcher, 0, tracker.get_slot("language"))
    return events + [SlotSet("awaiting", None)]


def _answer_indicator(tracker: Tracker, dispatcher: CollectingDispatcher, index: int, answer: str) -> Events:
    """Record yes / no / skip and ask the next question; never insist."""
    import logging

    from actions.triage import ask_indicator
    from bot.cases.service import default_store
    from bot.risk.triage import default_policy

    policy = default_policy()
    if index >= len(policy.indicators):
        return [SlotSet("awaiting", None)]
    answers = dict(tracker.get_slot("indicator_answers") or {})
    answers[policy.indicators[index].key] = answer
    found = policy.indicators_found(answers)
    reference = tracker.get_slot("case_reference")
    events: Events = [SlotSet("indicator_answers", answers)]
    if reference and found:
        try:
            case = default_store().add_indicators(reference, found, policy.high_priority_indicators)
            events.append(SlotSet("case_priority", case.priority))
        except Exception:
            logging.getLogger(__name__).exception("Could not record indicators on %s", reference)
    return events + ask_indicator(dispatcher, index + 1, tracker.get_slot("language"))


def _answer_in_danger(tracker: Tracker, dispatcher: CollectingDispatcher, answer: str) -> Events:
    """After a bare call for help: yes is an urgent case (emergency numbers were already given), no the menu."""
    from actions.triage import open_case, remembered_age
    from bot.risk.triage import default_policy

    if answer != "yes":
        dispatcher.utter_message(response="utter_help_menu")
        return [SlotSet("awaiting", None)]
    policy = default_policy()
    age = remembered_age(tracker)
    decision = policy.rule("child in immediate danger" if age is not None and age < policy.minor_age else "immediate danger")
    if decision is None:
        return [SlotSet("awaiting", None)]
    return open_case(tracker, dispatcher, decision) + [SlotSet("awaiting", None)]
