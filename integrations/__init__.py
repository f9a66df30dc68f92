"""Outside channels behind small interfaces (Twilio, or the local console provider)."""
