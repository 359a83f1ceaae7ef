from actions.fallback import ActionFallback
from actions.local_help import ActionEmergencyContacts, ActionLocalHelp
from actions.yes_no import ActionYesNo
from tests.actions.helpers import action, answer_to, run, tracker, user


def names(messages):
    return [m.get("response") for m in messages]


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_known_country_gets_its_sourced_contacts():
    trk = tracker([user("where can i sleep", "ask_shelter")], slots={"language": "en", "country": "NP"})
    _, messages = run(ActionLocalHelp(), trk)
    assert names(messages) == ["utter_local_contacts"]
    assert "1177" in messages[0]["contacts"]  # Nepal's anti-trafficking hotline in the directory
    assert messages[0]["country_name"] == "Nepal"


def test_unknown_country_is_asked_once():
    trk = tracker([user("where can i sleep", "ask_shelter")], slots={"language": "en"})
    events, messages = run(ActionLocalHelp(), trk)
    assert names(messages) == ["utter_ask_country"]
    assert slots(events) == {"awaiting": "country:shelter", "country_asked": True}
    trk = tracker([user("where is a doctor", "ask_health")], slots={"language": "en", "country_asked": True})
    assert run(ActionLocalHelp(), trk) == ([], [])


def test_phone_country_is_offered_for_confirmation_not_assumed():
    event = user("where can i sleep", "ask_shelter")
    event["metadata"] = {"phone_region": "NP"}
    trk = tracker([event], slots={"language": "en"})
    trk.latest_message["metadata"] = {"phone_region": "NP"}
    events, messages = run(ActionLocalHelp(), trk)
    assert names(messages) == ["utter_confirm_country"]
    assert "country" not in slots(events)
    assert slots(events)["awaiting"] == "confirm_country:NP:shelter"


def test_yes_confirms_the_phone_country_and_gives_contacts():
    trk = answer_to("utter_confirm_country", "yes", "affirm", language="en", awaiting="confirm_country:NP:shelter")
    events, messages = run(ActionYesNo(), trk)
    assert slots(events) == {"country": "NP", "awaiting": None, "reasked": None}
    assert names(messages) == ["utter_local_contacts"]


def test_no_asks_for_the_country_name():
    trk = answer_to("utter_confirm_country", "no", "deny", language="en", awaiting="confirm_country:NP:shelter")
    events, messages = run(ActionYesNo(), trk)
    assert names(messages) == ["utter_ask_country"]
    assert slots(events) == {"awaiting": "country:shelter", "reasked": None}


def test_a_country_name_answers_the_question():
    events = [user("qatar", "out_of_scope"), {"event": "slot", "name": "country", "value": "QA"}]
    trk = tracker(events, slots={"language": "en", "awaiting": "country:shelter", "country": "QA"})
    out, messages = run(ActionFallback(), trk)
    assert names(messages) == ["utter_no_local_contacts"]  # Qatar is not in the directory: no guessed numbers
    assert slots(out) == {"awaiting": None}


def test_emergency_numbers_for_a_known_country_and_safe_advice_otherwise():
    _, messages = run(ActionEmergencyContacts(), tracker([user("help", "report_immediate_danger")], slots={"country": "BR"}))
    assert names(messages) == ["utter_emergency_contacts"] and "190" in messages[0]["contacts"]
    events, messages = run(ActionEmergencyContacts(), tracker([user("help", "report_immediate_danger")]))
    assert names(messages) == ["utter_emergency_unknown_country"]
    assert slots(events)["awaiting"] == "country:emergency"


def test_reply_1_after_a_short_topic_answer_sends_the_full_form():
    events = [
        user("my rights", "ask_rights_trafficking_victim"), action("utter_rights_trafficking_victim"),
        {"event": "bot", "text": "...", "metadata": {"utter_action": "utter_rights_trafficking_victim"}},
        action("action_listen"), user("1", "nlu_fallback"),
    ]
    _, messages = run(ActionFallback(), tracker(events, slots={"language": "en"}))
    assert messages[0]["response"] == "utter_rights_trafficking_victim"
    assert messages[0]["form"] == "full"


def test_yes_without_an_open_question_asks_how_to_help():
    _, messages = run(ActionYesNo(), tracker([user("ok", "affirm")]))
    assert names(messages) == ["utter_how_can_help"]
