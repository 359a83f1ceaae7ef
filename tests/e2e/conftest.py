"""Shared set-up of the end-to-end tests (run by `helpline test` with the trained model).

They each start the real action server, which rasa_sdk names "rasa_sdk": Sanic refuses a second app of the
same name in one process unless it runs in test mode. `home` is a private helpline home: its own databases,
keys and responders (UNICEF on Telegram chat 500, IOM on 600), and no cached service from another test.
"""

import pytest
from cryptography.fernet import Fernet
from sanic import Sanic

Sanic.test_mode = True


@pytest.fixture
def home(tmp_path, monkeypatch):
    var = tmp_path / "var"
    (var / "log").mkdir(parents=True)
    responders = tmp_path / "responders.yml"
    responders.write_text("responders:\n  - {id: unicef-1, organization: UNICEF, telegram_chat_id: 500}\n"
                          "  - {id: iom-1, organization: IOM, telegram_chat_id: 600}\n")
    env = {"HELPLINE_API_TOKEN": "t" * 32, "HELPLINE_PSEUDONYM_KEY": "p" * 32, "HELPLINE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "HELPLINE_DATABASE_URL": f"sqlite:///{var / 'helpline.db'}", "HELPLINE_TRACKER_STORE_URL": f"sqlite:///{var / 'tracker.db'}",
           "HELPLINE_RESPONDERS": str(responders), "HELPLINE_RATE_LIMIT_PER_MINUTE": "100"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import bot.cases.service
    import channels.services

    bot.cases.service.default_store.cache_clear()
    channels.services.default_services.cache_clear()
    yield tmp_path, env
    bot.cases.service.default_store.cache_clear()
    channels.services.default_services.cache_clear()
