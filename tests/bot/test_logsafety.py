import logging

from bot.logsafety import RedactingFilter, redact


def test_phone_numbers_and_chat_ids_are_masked():
    assert "+44 7700 900123" not in redact("from +44 7700 900123 ok")
    assert "123456789" not in redact("chat 123456789 said")
    assert redact("age 15, port 5005") == "age 15, port 5005"


def test_filter_masks_formatted_arguments(caplog):
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("sender %s wrote", "+8801712345678")
    assert "8801712345678" not in caplog.text
    assert "[number]" in caplog.text
