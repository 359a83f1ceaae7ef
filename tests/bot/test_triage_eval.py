"""The triage evaluation's scoring and its gate (bot/bench/triage.py): what counts as handled, what fails make test."""

from bot.bench.triage import Conversation, Outcome, correct, figures, judge, unmet_targets


def conv(label, organization=None, priority=None, category=None):
    return Conversation("en", ("m",), organization, priority, category, label)


def out(organization=None, priority=None, category=None, offered=False):
    return Outcome(organization, priority, category, offered, ())


def test_a_refusal_is_respected_only_without_a_case_and_a_negative_also_without_an_offer():
    assert correct(conv("refusal"), out(offered=True))
    assert not correct(conv("refusal"), out("IOM", "normal", "exploitation"))
    assert not correct(conv("hard_negative"), out(offered=True))


def test_self_harm_needs_an_urgent_case_of_its_category():
    pairs = [(conv("self_harm", "IOM", "urgent", "self_harm"), out("IOM", "urgent", "self_harm")),
             (conv("self_harm", "IOM", "urgent", "self_harm"), out("IOM", "urgent", "immediate_danger"))]
    assert figures(pairs)["self_harm_recall"] == {"value": 0.5, "n": 2}


def test_the_gate_fails_below_the_target_or_below_a_recorded_floor():
    result = {"self_harm_recall": {"value": 0.9, "n": 10}, "false_escalations": {"value": 0.05, "n": 20}}
    assert len(judge(result)) == 2
    assert judge(result, {"self_harm_recall": 0.9, "false_escalations": 0.05}) == []
    assert len(judge(result, {"self_harm_recall": 0.95, "false_escalations": 0.05})) == 1
    assert len(unmet_targets(result)) == 2  # a floor is never mistaken for the goal
