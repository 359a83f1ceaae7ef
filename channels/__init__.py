"""Rasa input channels: REST (token-protected, for integration and tests), later SMS and Telegram."""
