"""Access tokens for the browser softphone (Twilio's Voice JavaScript SDK), built offline with the twilio
package: an API key signs a JWT whose Voice grant lets the console receive calls for its identity and place
calls through the TwiML app."""

from __future__ import annotations

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_TWIML_APP_SID")
TTL_SECONDS = 3600


def missing_settings(config) -> list[str]:
    return [name for name in SETTINGS if not config.get(name)]


def voice_token(config, identity: str, ttl: int = TTL_SECONDS) -> str:
    """A signed Access Token (JWT) with a Voice grant for `identity`; the caller checks missing_settings first."""
    token = AccessToken(
        config["TWILIO_ACCOUNT_SID"], config["TWILIO_API_KEY"], config["TWILIO_API_SECRET"], identity=identity, ttl=ttl
    )
    token.add_grant(VoiceGrant(incoming_allow=True, outgoing_application_sid=config["TWILIO_TWIML_APP_SID"]))
    jwt = token.to_jwt()
    return jwt.decode() if isinstance(jwt, bytes) else jwt
