"""Language identification over all 13 languages, short and mixed messages, with and without a prior."""

from __future__ import annotations

import pytest

from bot.content.catalog import default_catalog
from bot.language.detect import by_script, detect
from bot.language.model import trained_model

LANGS = tuple(default_catalog().languages)


@pytest.fixture(scope="module")
def model():
    return trained_model(LANGS)


@pytest.mark.parametrize(
    "text,language",
    [
        ("hi i need help with my passport", "en"),
        ("bonjour j'ai besoin d'aide svp", "fr"),
        ("hola necesito ayuda por favor", "es"),
        ("oi preciso de ajuda por favor", "pt"),
        ("مرحبا اريد مساعدة من فضلكم", "ar"),
        ("salam 3alaykom ana mo7tag mosa3da", "ar"),
        ("здравствуйте мне нужна помощь", "ru"),
        ("zdravstvujte mne nuzhna pomosh", "ru"),
        ("добрий день мені потрібна допомога", "uk"),
        ("नमस्ते मलाई सहयोग चाहियो", "ne"),
        ("namaste malai sahayog chahiyo", "ne"),
        ("السلام علیکم مجھے مدد چاہیے", "ur"),
        ("mujhe madad chahiye bhai", "ur"),
        ("سلام من کمک میخواهم", "fa"),
        ("salam man komak mikham", "fa"),
        ("আমার সাহায্য দরকার", "bn"),
        ("ami help chai bhai", "bn"),
        ("ສະບາຍດີ ຂ້ອຍຕ້ອງການຄວາມຊ່ວຍເຫຼືອ", "lo"),
        ("саламатсызбы мага жардам керек", "ky"),
    ],
)
def test_first_messages_in_every_language(model, text, language):
    assert detect(text, LANGS, model=model).language == language


def test_scripts_that_decide_alone():
    assert by_script("মেয়েটি বিপদে আছে", LANGS).language == "bn"
    assert by_script("हामीलाई मद्दत", LANGS).language == "ne"
    assert by_script("پاسپورٹ لے لیا", LANGS).language == "ur"  # ٹ is Urdu only
    assert by_script("їжа і дім", LANGS).language == "uk"
    assert by_script("жардам керек, үйдө", LANGS).language == "ky"
    assert by_script("привет", LANGS) is None  # Russian or Ukrainian: the model decides


@pytest.mark.parametrize("text", ["ok", "yes", "1", "Ahmed", "🙏🙏", "si", "ji", "Maria Silva", "ok thanks"])
def test_short_replies_never_switch_the_language(model, text):
    for prior in ("fr", "ne", "ar", "uk"):
        assert detect(text, LANGS, prior=prior, model=model).language == prior


def test_a_clear_message_in_another_language_switches(model):
    assert detect("I need help, my boss took my passport", LANGS, prior="fr", model=model).language == "en"
    assert detect("মালিক পাসপোর্ট নিয়ে গেছে", LANGS, prior="en", model=model).language == "bn"


def test_mixed_english_words_keep_the_users_language(model):
    assert detect("mera passport boss ne rakh liya salary bhi nahi", LANGS, model=model).language == "ur"
    assert detect("mi patron tiene mi passport y no me paga", LANGS, model=model).language == "es"


def test_unknown_language_and_empty_input_fall_back_safely(model):
    assert detect("", LANGS, prior="pt", model=model).language == "pt"
    assert detect("🙂🙂", LANGS, model=model).language is None
    assert detect("Guten Tag ich brauche Hilfe", LANGS, model=model).language in LANGS
