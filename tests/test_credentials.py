"""Each channel is on when its credentials are set, off otherwise."""

import subprocess
import sys

import yaml

from tests.conftest import ROOT


def run_with(env_extra, tmp_path):
    code = (
        "from pathlib import Path; from rasa_ext.serve import enabled_credentials;"
        f"enabled_credentials(Path({str(ROOT / 'credentials.yml')!r}), Path({str(tmp_path / 'c.yml')!r}))"
    )
    env = {"PATH": "/usr/bin:/bin", "HELPLINE_API_TOKEN": "t" * 32, "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
           "TWILIO_FROM_NUMBER": "", "HELPLINE_PUBLIC_URL": "", "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_WEBHOOK_SECRET": "",
           "TELEGRAM_API_URL": "", **env_extra}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return yaml.safe_load((tmp_path / "c.yml").read_text()), out.stdout


def test_only_configured_channels_are_on(tmp_path):
    enabled, said = run_with({}, tmp_path)
    assert list(enabled) == ["channels.rest.RestInput"]
    assert "off (credentials not set): TwilioSmsInput, TelegramInput" in said
    enabled, said = run_with({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "a" * 32, "TWILIO_FROM_NUMBER": "+15005550006",
                              "HELPLINE_PUBLIC_URL": "https://h.example.org"}, tmp_path)
    assert set(enabled) == {"channels.rest.RestInput", "channels.twilio_sms.TwilioSmsInput"}
    assert enabled["channels.twilio_sms.TwilioSmsInput"]["auth_token"] == "a" * 32
    assert (tmp_path / "c.yml").stat().st_mode & 0o077 == 0
