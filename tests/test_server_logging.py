"""At INFO, the Rasa server prints no message text (Rasa's structlog debug events carry them)."""

import subprocess
import sys


def test_rasa_structlog_debug_events_are_silent_at_info():
    code = (
        "from rasa_ext.serve import configure_logging\n"
        "configure_logging('INFO')\n"
        "import structlog\n"
        "structlog.get_logger().debug('processor.message.parse', parse_data_text='my secret text')\n"
        "import logging; logging.getLogger('rasa.core').info('phone +447700900123 wrote')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "my secret text" not in output
    assert "447700900123" not in output
    assert "[number]" in output
