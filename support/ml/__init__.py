"""Pure model code for support triage (no Django): PII redaction, intent, sentiment, urgency,
language, answer retrieval and auto-reply thresholds."""
