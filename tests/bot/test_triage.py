"""Every triage rule, and the hard negatives that must open no case."""

import pytest

from bot.risk.triage import Signals, default_policy

POLICY = default_policy()


@pytest.mark.parametrize(
    "signals,expected",
    [
        (Signals("report_child_at_risk"), ("UNICEF", "high", False)),
        (Signals("report_child_at_risk", danger_confidence=0.4), ("UNICEF", "urgent", False)),
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


def test_now_makes_a_child_report_urgent_and_an_adult_report_only_with_danger_ranked():
    from bot.risk.triage import signals_from

    child = signals_from("report_child_at_risk", "a girl of 11 is locked in the truck now", {"report_immediate_danger": 0.1}, None, [])
    assert POLICY.decide(child).priority == "urgent"
    adult_calm = signals_from("report_exploitation", "now i work 16 hours and no pay", {"report_immediate_danger": 0.05}, None, [])
    assert POLICY.decide(adult_calm).priority == "normal" and POLICY.decide(adult_calm).consent
    adult_chased = signals_from("report_exploitation", "the boss men are chasing me now", {"report_immediate_danger": 0.35}, None, [])
    assert POLICY.decide(adult_chased).priority == "urgent" and not POLICY.decide(adult_chased).consent


def test_stated_ages_in_many_languages_and_numbers_that_are_not_ages():
    from bot.risk.age import stated_age

    for text, age in [("im 15 pls help", 15), ("tengo 13 años", 13), ("tenho 14 anos", 14), ("мне 14", 14), ("meni 13 rokiv", 13),
                      ("۱۵ سالمه", 15), ("আমার বয়স ১৬ বছর", 16), ("मेरो उमेर १५ वर्ष", 15), ("عمري 12", 12), ("j'ai 16 ans", 16)]:
        assert stated_age(text, []) == age, text
    for text in ["i work 16 hours a day", "روز 16 گھنٹے کام", "3 men are chasing me", "i paid 500 dollars"]:
        assert stated_age(text, []) is None, text
    assert stated_age("help", [{"entity": "age", "value": "15"}]) == 15
    assert stated_age("روز 16 گھنٹے کام", [{"entity": "age", "value": "16"}]) is None  # sixteen hours
    assert stated_age("slt 3andi 6 mois sans salaire", []) is None  # "I have 6 months", not an age
