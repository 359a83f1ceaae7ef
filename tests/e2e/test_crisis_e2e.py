"""Self-harm through the REST channel with the real trained model, in every full language (issue 13):
the crisis answer in the person's language, an urgent case of category self_harm before anyone is
notified, a Telegram notification that says self-harm; an idiom of exhaustion opens nothing.

The messages here are written for this test, not taken from the training data.
Needs a trained model: `helpline test` runs this file after training (HELPLINE_E2E_MODEL); plain pytest skips it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

MODEL = os.environ.get("HELPLINE_E2E_MODEL", "")
pytestmark = pytest.mark.skipif(not MODEL or not Path(MODEL).is_file(), reason="needs a trained model (run by `helpline test`)")

# language: (self-harm message, idiom of exhaustion)
MESSAGES = {
    "en": ("honestly i just want to sleep and never wake up, i have the pills here", "after 14 hrs on the site im dead tired lol"),
    "fr": ("je n'en peux plus, je veux mourir, j'ai les médicaments", "je suis mort de fatigue après le chantier"),
    "es": ("ya no aguanto más, quiero morirme, tengo las pastillas listas", "estoy muerta de cansancio después del turno"),
    "pt": ("não aguento mais, quero morrer, já tenho os remédios", "tô morta de cansada depois de 12 horas de trabalho"),
    "ar": ("ما عاد بدي عيش، بدي موت وخلص", "ميت من التعب بعد الشغل اليوم"),
    "ru": ("я больше не хочу жить, таблетки уже приготовила", "устала до смерти после смены"),
    "uk": ("я більше не хочу жити, хочу вмерти", "втомилася до смерті після зміни"),
    "ne": ("मलाई अब बाँच्न मन छैन, म मर्न चाहन्छु", "दिनभरि काम गरेर थकाइले मरें"),
    "ur": ("میں اب جینا نہیں چاہتا، خودکشی کر لوں گا", "سارا دن کام کر کے تھک کے مر گیا ہوں"),
    "fa": ("دیگه نمی‌خوام زنده باشم، می‌خوام خودمو بکشم", "امروز از خستگی مردم، دوازده ساعت کار کردم"),
    "bn": ("আমি আর বাঁচতে চাই না, আত্মহত্যা করব", "সারাদিন কাজ করে ক্লান্তিতে মরে যাচ্ছি"),
}


async def test_self_harm_in_every_full_language_through_rest(home):
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig
    from sanic import Sanic

    from actions.server import create_app as create_action_app
    from bot.bench.telegram_standin import BotApiStandIn
    from bot.cases.models import Base
    from bot.cases.service import default_store
    from bot.content.catalog import default_catalog
    from bot.notify.dispatcher import Dispatcher
    from bot.notify.senders import ChannelSender, TelegramSender
    from channels.rest import RestInput
    from channels.services import default_services
    from rasa_ext.serve import configure_logging
    from tests.channels.serving import served

    _, env = home
    configure_logging("WARNING")
    catalog = default_catalog()
    assert set(MESSAGES) == {code for code, lang in catalog.languages.items() if lang.support == "full"}
    standin = BotApiStandIn()
    async with served(standin.app) as api, served(create_action_app()) as actions:
        tracker_store = SQLTrackerStore(Domain.empty(), host=env["HELPLINE_TRACKER_STORE_URL"])
        agent = Agent.load(MODEL, generator=EndpointConfig(f"{actions.base_url}/nlg"), tracker_store=tracker_store,
                           lock_store=InMemoryLockStore(), action_endpoint=EndpointConfig(f"{actions.base_url}/webhook"))
        app = Sanic("e2e_crisis_rest")
        app.blueprint(RestInput(env["HELPLINE_API_TOKEN"]).blueprint(agent.handle_message), url_prefix="/webhooks/rest")
        store = default_store()
        Base.metadata.create_all(store.engine)
        async with served(app) as client:
            async def say(sender: str, text: str) -> list[str]:
                response = await client.post(f"/webhooks/rest/webhook?token={env['HELPLINE_API_TOKEN']}", json={"sender": sender, "message": text})
                assert response.status_code == 200
                return [m["text"] for m in response.json()]

            failures = []
            for language, (self_harm, idiom) in MESSAGES.items():
                answers = await say(f"sh-{language}", self_harm)
                crisis = catalog.render("utter_self_harm_unknown_country", language, "rest").text
                if not answers or answers[0] != crisis:
                    failures.append(f"{language}: self-harm got {answers[:1]!r}")
                    continue
                case = store.open_case_of(f"sh-{language}")  # REST conversations are named by their sender
                tracker = await agent.tracker_store.retrieve(f"sh-{language}")
                slot_values = tracker.current_slot_values() if tracker else {}
                if case is None or (case.priority, case.category) != ("urgent", "self_harm"):
                    failures.append(f"{language}: case {case and (case.organization, case.priority, case.category)}")
                elif slot_values.get("case_priority") != "urgent" or slot_values.get("case_organization") != case.organization:
                    failures.append(f"{language}: slots {slot_values.get('case_priority')}, {slot_values.get('case_organization')}")
                idiom_answers = await say(f"idiom-{language}", idiom)
                if store.open_case_of(f"idiom-{language}") is not None:
                    failures.append(f"{language}: the idiom opened a case ({idiom_answers!r})")
            assert not failures, failures

            services = default_services()
            dispatcher = Dispatcher(store, ChannelSender(TelegramSender(standin.token, f"{api.base_url}/bot")), {},
                                    contacts=services.contacts, eraser=services.eraser)
            await dispatcher.run_once()
            to_iom = [m["text"] for m in standin.sent if str(m.get("chat_id")) == "600"]
            assert len(to_iom) == len(MESSAGES) and all(text.startswith("SELF-HARM RISK") for text in to_iom), to_iom
