"""Every short (SMS) form in every language fits the SMS budget in its own encoding."""

from __future__ import annotations

import pytest

from actions.language import language_menu_arguments
from bot.content.catalog import SHORT_FORM_SEGMENTS, default_catalog
from bot.sms import cost

# Hard ceiling of the check; the target (SHORT_FORM_SEGMENTS) is 2.
MAX_SEGMENTS = 3
SAMPLE_ARGS = {"country_name": "Bangladesh", "contacts": "Police: 999\nChild helpline: 1098"}


def test_sms_cost_knows_both_encodings():
    assert cost("a" * 160) == cost("a" * 160) and cost("a" * 160).segments == 1
    assert cost("a" * 161).segments == 2 and cost("a" * 161).encoding == "GSM-7"
    assert cost("ب" * 70).segments == 1 and cost("ب" * 71).segments == 2 and cost("ب").encoding == "UCS-2"
    assert cost("a" * 159 + "€").segments == 2  # € takes two GSM-7 septets


@pytest.mark.parametrize("code", sorted(default_catalog().languages))
def test_short_forms_fit(code):
    catalog = default_catalog()
    args = {**SAMPLE_ARGS, **language_menu_arguments()}
    segments = {name: cost(catalog.render(name, code, channel="twilio_sms", **args).text).segments for name in catalog.response_names(code)}
    too_long = {name: n for name, n in segments.items() if n > MAX_SEGMENTS}
    assert not too_long, f"{code}: {too_long}"


@pytest.mark.parametrize("code", sorted(default_catalog().languages))
def test_topic_short_forms_offer_more_and_full_forms_name_all_sources(code):
    catalog = default_catalog()
    if catalog.languages[code].support != "full":
        pytest.skip("basic languages have no topic answers")
    for topic in catalog.topics.values():
        short = catalog.render(topic.response, code, channel="twilio_sms").text
        assert short.endswith(catalog.label("more_hint", code))
        assert cost(short).segments <= SHORT_FORM_SEGMENTS, (code, topic.key, cost(short))
        full = catalog.render(topic.response, code, channel="twilio_sms", form="full").text
        assert all(source in full for source in topic.sources)
