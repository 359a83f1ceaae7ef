"""Check a running helpline end to end through its REST channel (what a user would see).

    .venv/bin/python scripts/e2e_check.py [--url http://localhost:5005] [--standin http://127.0.0.1:8081]

Reads HELPLINE_API_TOKEN from the environment or var/secrets.env. For every
full language: a trafficking-rights question is answered in that language
and names its source; "hello" then "ok" keeps the language; the menu switches
it; `language` and `country` are visible in the tracker. With --standin (a
local stand-in Bot API, scripts/standin_bot_api.py) and a responders file
with a UNICEF Telegram responder: a child report in each full language sets
case_organization UNICEF and a sendMessage reaches the responder's chat within
5 seconds. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.catalog import default_catalog  # noqa: E402
from bot.language.detect import by_script  # noqa: E402

RIGHTS_QUESTION = {
    "en": "what rights does a victim of trafficking have",
    "fr": "quels sont les droits d'une victime de traite",
    "es": "que derechos tiene una victima de trata de personas",
    "pt": "quais os direitos de uma vitima de trafico de pessoas",
    "ar": "ما هي حقوق ضحايا الاتجار بالبشر",
    "ru": "какие права есть у жертвы торговли людьми",
    "uk": "які права має жертва торгівлі людьми",
    "ne": "मानव बेचबिखनमा परेका पीडितका अधिकार के के हुन्",
    "ur": "انسانی اسمگلنگ کے متاثرین کے کیا حقوق ہیں",
    "fa": "قربانیان قاچاق انسان چه حقوقی دارند",
    "bn": "মানব পাচারের শিকার ব্যক্তির কী কী অধিকার আছে",
}
HELLO = {"en": "hello", "fr": "bonjour", "es": "hola buenas", "pt": "oi bom dia", "ar": "السلام عليكم", "ru": "здравствуйте",
         "uk": "добрий день", "ne": "नमस्ते", "ur": "السلام علیکم", "fa": "سلام وقت بخیر", "bn": "হ্যালো, আসসালামু আলাইকুম"}
CHILD_REPORT = {
    "en": "i am 14 and the man i work for hits me and does not let me go home",
    "fr": "j'ai 14 ans et mon patron me frappe et ne me laisse pas rentrer",
    "es": "tengo 14 anos y el hombre para el que trabajo me pega y no me deja ir a casa",
    "pt": "tenho 14 anos e o homem que eu trabalho me bate e nao me deixa ir para casa",
    "ar": "عمري 14 سنة والراجل اللي بشتغل عنده بيضربني ومش بيخليني اروح البيت",
    "ru": "мне 14 лет человек на которого я работаю бьет меня и не отпускает домой",
    "uk": "мені 14 років чоловік на якого я працюю б'є мене і не відпускає додому",
    "ne": "म १४ वर्षको हुँ, मालिकले मलाई कुट्छ र घर जान दिँदैन",
    "ur": "میری عمر 14 سال ہے، مالک مجھے مارتا ہے اور گھر نہیں جانے دیتا",
    "fa": "۱۴ سالمه، صاحب کارم منو میزنه و نمیذاره برم خونه",
    "bn": "আমার বয়স ১৪ বছর, মালিক আমাকে মারে আর বাড়ি যেতে দেয় না",
}


def token() -> str:
    if os.environ.get("HELPLINE_API_TOKEN"):
        return os.environ["HELPLINE_API_TOKEN"]
    for line in (ROOT / "var" / "secrets.env").read_text().splitlines():
        if line.startswith("HELPLINE_API_TOKEN="):
            return line.split("=", 1)[1]
    raise SystemExit("no HELPLINE_API_TOKEN")


class Checker:
    def __init__(self, url: str, api_token: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=60, params={"token": api_token})
        self.failures: list[str] = []

    def say(self, sender: str, text: str) -> list[str]:
        response = self.client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        return [m.get("text", "") for m in response.json()]

    def slots(self, sender: str) -> dict:
        return self.client.get(f"/conversations/{sender}/tracker").json()["slots"]

    def check(self, ok: bool, label: str) -> None:
        print(("PASS " if ok else "FAIL ") + label, flush=True)
        if not ok:
            self.failures.append(label)


def written_in(text: str, code: str) -> bool:
    """Non-Latin languages are checked by script; Latin ones by their own greeting text."""
    found = by_script(text, [code])
    return found is not None and found.language == code if code in ("ar", "ru", "uk", "ne", "ur", "fa", "bn") else True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--standin", help="base URL of a running stand-in Bot API (scripts/standin_bot_api.py)")
    args = parser.parse_args()
    catalog = default_catalog()
    c = Checker(args.url, token())
    unauth = httpx.post(f"{args.url}/webhooks/rest/webhook", json={"sender": "x", "message": "hello"})
    c.check(unauth.status_code in (401, 403), f"REST without token refused ({unauth.status_code})")
    for code, question in RIGHTS_QUESTION.items():
        sender = f"e2e-{code}-{uuid.uuid4().hex[:6]}"
        greeting = c.say(sender, HELLO[code])
        expected_greeting = catalog.render("utter_greet", code, "collector").text
        c.check(greeting[:1] == [expected_greeting], f"{code}: greeting in {code}")
        kept = c.say(sender, "ok")
        c.check(c.slots(sender)["language"] == code and all(written_in(t, code) for t in kept), f"{code}: 'ok' keeps {code}")
        answer = " ".join(c.say(sender, question))
        source = catalog.topics["rights_trafficking_victim"].sources[0]
        c.check(answer.startswith(catalog.texts[code]["responses"]["utter_rights_trafficking_victim"]["text"][:40]) and source in answer,
                f"{code}: rights question answered in {code} with the source named")
    sender = f"e2e-menu-{uuid.uuid4().hex[:6]}"
    c.say(sender, "hello")
    menu = c.say(sender, "language")
    c.check(any("Français" in t for t in menu), "menu shown")
    switched = c.say(sender, "2")
    c.check(c.slots(sender)["language"] == "fr" and switched == [catalog.render("utter_language_changed", "fr", "collector").text], "menu number switches to French")
    c.say(sender, "where can i find a doctor in Nepal")
    slots = c.slots(sender)
    c.check(slots.get("language") == "fr" and slots.get("country") == "NP", f"tracker shows language and country ({slots.get('language')}, {slots.get('country')})")
    if args.standin:
        for code, report in CHILD_REPORT.items():
            sender = f"e2e-child-{code}-{uuid.uuid4().hex[:6]}"
            before = len(httpx.get(f"{args.standin}/sent").json())
            started = time.monotonic()
            c.say(sender, report)
            organization = c.slots(sender).get("case_organization")
            reference = c.slots(sender).get("case_reference")
            delivered = None
            while time.monotonic() - started < 10:
                sent = httpx.get(f"{args.standin}/sent").json()[before:]
                if any(reference and reference in m.get("text", "") for m in sent):
                    delivered = time.monotonic() - started
                    break
                time.sleep(0.1)
            c.check(organization == "UNICEF" and delivered is not None and delivered <= 5,
                    f"{code}: child report -> UNICEF case {reference}, responder notified in {delivered and round(delivered, 2)} s")
    print(f"{len(c.failures)} failure(s)")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
