"""The helpline's framework-free core: settings, language, content, risk, cases, notifications."""
