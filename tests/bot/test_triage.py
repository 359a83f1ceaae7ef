"""Every triage rule, and the hard negatives that must open no case."""

import pytest

from bot.risk.triage import Signals, default_policy

POLICY = default_policy()


@pytest.mark.parametrize(
    "signals,expected",
    [
        (Signals("report_child_at_risk", child_confidence=0.8), ("UNICEF", "high", False)),
        (Signals("report_child_at_risk", child_confidence=0.8, danger_confidence=0.4), ("UNICEF", "urgent", False)),
        (Signals("report_child_at_risk", minor_cue=True), ("UNICEF", "high", False)),
        # NLU unsure and nothing in the words shows a child: an adult's report, consent asked
        (Signals("report_child_at_risk", child_confidence=0.35), ("IOM", "normal", True)),
        (Signals("report_immediate_danger", age=15), ("UNICEF", "urgent", False)),
        (Signals("report_exploitation", age=16), ("UNICEF", "high", False)),
        (Signals("request_human", age=12), ("UNICEF", "high", False)),
        (Signals("report_immediate_danger"), ("IOM", "urgent", False)),
        (Signals("report_immediate_danger", age=30), ("IOM", "urgent", False)),
        (Signals("report_exploitation"), ("IOM", "normal", True)),
        (Signals("report_exploitation", age=25, danger_confidence=0.4), ("IOM", "normal", True)),
        (Signals("request_human", previous_intents=("report_exploitation",)), ("IOM", "normal", False)),
        (Signals("request_human"), ("IOM", "normal", True)),
    ],
)
def test_routing_rules(signals, expected):
    decision = POLICY.decide(signals)
    assert (decision.organization, decision.priority, decision.consent) == expected


@pytest.mark.parametrize(
    "signals",
    [
        Signals("ask_child_protection"),  # "what rights does a child victim have?"
        Signals("ask_rights_trafficking_victim", age=15),
        Signals("ask_work_rights", age=16),
        Signals("greet", age=10),
        Signals("affirm", previous_intents=("report_exploitation",)),
        Signals(None),
    ],
)
def test_hard_negatives_open_no_case(signals):
    assert POLICY.decide(signals) is None


def test_age_18_is_an_adult():
    assert POLICY.decide(Signals("report_exploitation", age=18)).organization == "IOM"


def test_indicators_count_only_answers_that_mean_present():
    answers = {"documents_kept": "yes", "not_free_to_leave": "no", "debt_bondage": "skip", "wages_withheld": "yes"}
    assert POLICY.indicators_found(answers) == ["documents_kept", "not_free_to_leave"]
    assert len(POLICY.indicators) == 5


def test_signs_of_a_child_give_the_benefit_of_the_doubt():
    from bot.risk.triage import signals_from

    signals = signals_from("report_immediate_danger", "help my stepdad is beating me right now", {"report_immediate_danger": 0.7}, None, [])
    assert (POLICY.decide(signals).organization, POLICY.decide(signals).priority) == ("UNICEF", "urgent")
    signals = signals_from("report_exploitation", "they dont let me go to school and i work all day", {}, None, [])
    assert POLICY.decide(signals).organization == "UNICEF"


def test_present_danger_makes_a_child_report_urgent():
    from bot.risk.triage import signals_from

    child = signals_from("report_child_at_risk", "a girl of 11 is locked in the truck now", {"report_immediate_danger": 0.1}, None, [])
    assert POLICY.decide(child).priority == "urgent"
    tonight = signals_from("report_child_at_risk", "i am 13, tonight my stepfather will hand me to some men", {"report_immediate_danger": 0.1}, None, [])
    assert POLICY.decide(tonight).priority == "urgent"
    story = signals_from("report_child_at_risk", "my daughter is 13, her uncle took her to the city and she works in a house",
                         {"report_child_at_risk": 0.6, "report_immediate_danger": 0.05}, None, [])
    assert (POLICY.decide(story).organization, POLICY.decide(story).priority) == ("UNICEF", "high")


def test_an_adult_report_with_only_numbers_is_not_taken_for_a_child_by_nlu():
    from bot.risk.triage import signals_from

    adult = signals_from("report_child_at_risk", "from nepal working in qatar 12 hrs 7 days, 14 men in 1 room, company took passport",
                         {"report_child_at_risk": 0.62}, None, [])
    assert (POLICY.decide(adult).organization, POLICY.decide(adult).consent) == ("IOM", True)


@pytest.mark.parametrize("text,intent,ranking", [
    ("estoy muerta del cansancio, 14 horas en la finca, eso es legal?", "report_child_at_risk",
     {"report_child_at_risk": 0.22, "ask_work_rights": 0.18}),
    ("cette chaleur me tue, on travaille sur le toit a 45 degrés a doha, ya une pause obligatoire ?", "report_exploitation",
     {"report_exploitation": 0.46, "ask_work_rights": 0.16}),
    ("minha filha nasceu no brasil e eu sou venezuelana, ela tem direito ao sus?", "report_child_at_risk",
     {"report_child_at_risk": 0.35, "ask_health": 0.16}),
])
def test_a_question_nlu_only_half_takes_for_a_report_is_answered_without_a_case(text, intent, ranking):
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from(intent, text, ranking, None, []))
    assert decision is not None and decision.answer == "question" and not decision.organization


@pytest.mark.parametrize("text,intent,ranking,expected", [
    # a child writing about themselves, even as a question
    ("tengo 15 y el patron no me paga, eso es legal?", "report_child_at_risk", {"report_child_at_risk": 0.3}, "UNICEF"),
    # NLU sure of the report
    ("my boss took my passport and keeps it, is that legal?", "report_exploitation", {"report_exploitation": 0.8}, "IOM"),
    # danger words
    ("they locked us in and left, what do we do?", "report_exploitation", {"report_exploitation": 0.3}, "IOM"),
])
def test_a_question_that_is_also_a_report_still_gets_its_route(text, intent, ranking, expected):
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from(intent, text, ranking, None, []))
    assert decision is not None and decision.answer is None and decision.organization == expected
    adult_calm = signals_from("report_exploitation", "now i work 16 hours and no pay", {"report_immediate_danger": 0.05}, None, [])
    assert POLICY.decide(adult_calm).priority == "normal" and POLICY.decide(adult_calm).consent
    adult_chased = signals_from("report_exploitation", "the boss men are chasing me now", {"report_immediate_danger": 0.35}, None, [])
    assert POLICY.decide(adult_chased).priority == "urgent" and not POLICY.decide(adult_chased).consent


def test_stated_ages_in_many_languages_and_numbers_that_are_not_ages():
    from bot.risk.age import stated_age

    for text, age in [("im 15 pls help", 15), ("tengo 13 años", 13), ("tenho 14 anos", 14), ("мне 14", 14), ("meni 13 rokiv", 13),
                      ("۱۵ سالمه", 15), ("আমার বয়স ১৬ বছর", 16), ("मेरो उमेर १५ वर्ष", 15), ("عمري 12", 12), ("j'ai 16 ans", 16)]:
        assert stated_age(text) == age, text
    for text in ["i work 16 hours a day", "روز 16 گھنٹے کام", "3 men are chasing me", "i paid 500 dollars",
                 "slt 3andi 6 mois sans salaire", "we are 15 in one room", "i owe them 15 dollars"]:
        assert stated_age(text) is None, text


def test_nlu_age_entities_are_not_ages():
    """NLU's age entity took hours and money for ages: an age needs an age expression."""
    from bot.risk.triage import signals_from

    signals = signals_from("report_exploitation", "we work 16 hours and sleep 12 in one room, i owe 15", {}, None, [])
    assert signals.age is None
    decision = POLICY.decide(signals)
    assert (decision.organization, decision.consent) == ("IOM", True)


def test_a_stated_adult_age_outweighs_child_words():
    from bot.risk.triage import signals_from

    signals = signals_from("report_exploitation", "im 24 and they dont let me finish school, boss keeps my passport", {}, None, [])
    assert POLICY.decide(signals).organization == "IOM"
    # the youngest stated age counts: a child named next to an adult is a child
    signals = signals_from("report_exploitation", "im 35 and my daughter is 13, the boss makes her work at night", {}, None, [])
    assert POLICY.decide(signals).organization == "UNICEF"


@pytest.mark.parametrize("text,intent", [
    ("i want to die", "report_self_harm"),
    ("i have the pills ready, goodbye", "goodbye"),  # NLU wrong: the words still count
    ("no reason to live anymore", "out_of_scope"),
])
def test_self_harm_is_an_urgent_iom_case_without_consent_whatever_the_intent(text, intent):
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from(intent, text, {intent: 0.6}, None, []))
    assert (decision.organization, decision.priority, decision.category, decision.consent) == ("IOM", "urgent", "self_harm", False)


def test_a_child_at_risk_of_self_harm_goes_to_unicef():
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from("report_self_harm", "im 14 and i want to die", {}, None, []))
    assert (decision.organization, decision.priority, decision.category) == ("UNICEF", "urgent", "self_harm")


@pytest.mark.parametrize("text,intent", [
    ("im dead tired after 14 hours", "report_exploitation"),
    ("dying to see my kids again", "out_of_scope"),
    ("where can i see a psychologist for free", "ask_health"),
])
def test_idioms_and_service_questions_are_not_self_harm(text, intent):
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from(intent, text, {intent: 0.7, "report_self_harm": 0.1}, None, []))
    assert decision is None or decision.category != "self_harm"


def test_present_danger_makes_an_adult_report_urgent_without_consent():
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from("report_exploitation", "the boss is outside my door right now", {"report_immediate_danger": 0.1}, None, []))
    assert (decision.organization, decision.priority, decision.consent) == ("IOM", "urgent", False)
    child = POLICY.decide(signals_from("report_child_at_risk", "im 13 they come for me tonight", {}, None, []))
    assert (child.organization, child.priority) == ("UNICEF", "urgent")


def test_a_question_with_danger_words_opens_nothing():
    from bot.risk.triage import signals_from

    assert POLICY.decide(signals_from("ask_shelter", "where can i sleep tonight", {"ask_shelter": 0.8}, None, [])) is None


def test_a_report_about_an_adult_relative_asks_consent_in_words_for_a_reporter():
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from("report_exploitation", "my sister in dubai, madam took her passport", {}, None, []))
    assert (decision.organization, decision.category, decision.consent, decision.third_party) == ("IOM", "third_party_report", True, True)


def test_a_report_about_a_child_goes_to_unicef_with_reporter_wording():
    from bot.risk.triage import signals_from

    decision = POLICY.decide(signals_from("report_child_at_risk", "my neighbour has an 11 year old boy who works all night in the kiln", {}, None, []))
    assert (decision.organization, decision.consent, decision.third_party) == ("UNICEF", False, True)


def test_a_bare_call_for_help_asks_before_any_case():
    from bot.risk.triage import signals_from

    for text in ("HELP", "help me pls!!", "please help"):
        decision = POLICY.decide(signals_from("report_immediate_danger", text, {"report_immediate_danger": 0.9}, None, []))
        assert decision is not None and decision.ask == "in_danger" and not decision.organization, text
    report = POLICY.decide(signals_from("report_exploitation", "help my boss took my passport", {}, None, []))
    assert report.ask is None and report.organization == "IOM"


def test_danger_words_outside_a_question_are_danger_whatever_nlu_says():
    from bot.risk.triage import signals_from

    stranded = POLICY.decide(signals_from("ask_rights_smuggled_migrant", "the smuggler left us in the forest and we are locked in, bleeding",
                                          {"ask_rights_smuggled_migrant": 0.4}, None, []))
    assert stranded is not None and stranded.priority == "urgent"
    asked = POLICY.decide(signals_from("ask_rights_smuggled_migrant", "what can i do if i am locked in?", {"ask_rights_smuggled_migrant": 0.4}, None, []))
    assert asked is None


def test_an_idiom_of_exhaustion_outweighs_an_unsure_nlu_but_never_a_self_harm_phrase():
    from bot.risk.triage import signals_from

    tired = signals_from("report_self_harm", "устала до смерти после смены", {"report_self_harm": 0.25}, None, [])
    assert POLICY.decide(tired) is None
    both = signals_from("report_self_harm", "im dead tired and i want to die", {"report_self_harm": 0.25}, None, [])
    assert POLICY.decide(both).category == "self_harm"
