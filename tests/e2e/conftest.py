"""The end-to-end tests each start the real action server, which rasa_sdk names "rasa_sdk": Sanic refuses a second
app of the same name in one process unless it runs in test mode."""

from sanic import Sanic

Sanic.test_mode = True
