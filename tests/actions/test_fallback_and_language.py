from actions.context import ActionExtractContext
from actions.fallback import ActionFallback
from actions.language import ActionChooseLanguage
from tests.actions.helpers import action, run, tracker, user


def responses(messages):
    return [m.get("response") for m in messages]


def test_first_fallback_explains_second_offers_a_person():
    first = tracker([action("action_listen"), user("asdf qwer", "nlu_fallback")])
    _, messages = run(ActionFallback(), first)
    assert responses(messages) == ["utter_fallback"]
    second = tracker([
        user("asdf", "nlu_fallback"), action("action_fallback"), action("action_listen"),
        user("zzz", "nlu_fallback"),
    ])
    _, messages = run(ActionFallback(), second)
    assert responses(messages) == ["utter_fallback_offer_human"]


def test_language_request_without_a_name_shows_the_numbered_menu():
    trk = tracker([user("language", "choose_language")])
    events, messages = run(ActionChooseLanguage(), trk)
    assert responses(messages) == ["utter_language_menu"]
    assert "1 English" in messages[0]["menu"]
    assert {"event": "slot", "name": "awaiting", "value": "language_menu", "timestamp": None} in events


def test_menu_number_switches_language_and_is_remembered():
    trk = tracker([user("2", "nlu_fallback")], slots={"language": "en", "awaiting": "language_menu"})
    events, _ = run(ActionExtractContext(), trk)
    set_slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set_slots["language"] == "fr"
    assert set_slots["language_chosen"] is True


def test_named_language_choice_wins_over_detection():
    trk = tracker([user("in french please", "choose_language", [{"entity": "language", "value": "fr"}])], slots={"language": "en"})
    events, _ = run(ActionExtractContext(), trk)
    assert {e["name"]: e["value"] for e in events}["language"] == "fr"


def test_short_replies_keep_the_conversation_language():
    for text in ["ok", "yes", "1", "Ahmed", "🙏"]:
        trk = tracker([user(text, "affirm")], slots={"language": "fr"})
        events, _ = run(ActionExtractContext(), trk)
        assert not any(e["name"] == "language" for e in events), text


def test_first_message_sets_the_language():
    trk = tracker([user("bonjour, j'ai besoin d'aide pour mes papiers", "ask_documents")])
    events, _ = run(ActionExtractContext(), trk)
    assert {e["name"]: e["value"] for e in events}["language"] == "fr"


def test_country_entity_sets_country_slot():
    trk = tracker([user("i am in brazil", "ask_shelter", [{"entity": "country", "value": "br"}])], slots={"language": "en"})
    events, _ = run(ActionExtractContext(), trk)
    assert {e["name"]: e["value"] for e in events}["country"] == "BR"
