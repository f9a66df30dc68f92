"""Twilio: webhooks, signature check, TwiML builders, and the one REST client module."""
