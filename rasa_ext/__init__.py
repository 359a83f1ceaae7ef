"""Glue that runs Rasa Open Source 3.6 the way the helpline needs (server start-up, stores)."""
