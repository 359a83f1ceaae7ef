from bot.text import MAX_NLU_CHARS, clean_user_text


def test_leading_slash_cannot_force_an_intent():
    assert clean_user_text("/restart") == "restart"
    assert clean_user_text("  //report_child_at_risk{\"age\": 3}") == 'report_child_at_risk{"age": 3}'


def test_huge_message_is_cut_not_rejected():
    assert len(clean_user_text("a" * 10_000)) == MAX_NLU_CHARS


def test_control_characters_and_bad_input():
    assert clean_user_text("hi\x00\x07 there\n\n") == "hi there"
    assert clean_user_text(None) == ""
    assert clean_user_text(b"caf\xc3\xa9 \xff") == "café"
    assert clean_user_text("\ud800 hello") == "? hello"


def test_emoji_and_scripts_survive():
    assert clean_user_text("🙏🙏") == "🙏🙏"
    assert clean_user_text("مرحبا") == "مرحبا"
