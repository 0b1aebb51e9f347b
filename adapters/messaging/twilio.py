"""SMS through Twilio: the Programmable Messaging REST API (Message resource).

Checked against Twilio's documentation (twilio.com/docs: "Message resource", "Twilio API
responses", the error dictionary), December 2026:

- ``POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP
  Basic authentication (Account SID and Auth Token), form-encoded (UTF-8) ``To`` (E.164),
  ``Body``, and ``From`` (a Twilio number or an alphanumeric sender ID) or
  ``MessagingServiceSid`` (``MG...``). The ``.json`` suffix asks for JSON; the answer is
  ``201`` with the message's ``sid`` and ``status`` (``queued`` or ``accepted``).
- Errors are ``{"code": 21211, "message": "...", "more_info": "...", "status": 400}``:
  400 for a refused message (21211 invalid To, 21408 region not enabled, 21610
  unsubscribed recipient, 21614 not a mobile), 401 with 20003 for refused credentials,
  429 with 20429 when rate-limited (retry later), 5xx for Twilio's own failures.
  Twilio encodes the body itself (GSM-7 or UCS-2), so nothing is chosen here.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import httpx

from adapters.messaging._http_sms import HttpSmsClient
from ports.messaging import OutgoingSms, SmsProviderConfig

__all__ = ["TWILIO_API_URL", "TwilioSmsSender", "factory"]

TWILIO_API_URL = "https://api.twilio.com"

log = logging.getLogger("seing.sms")

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_PHONE_NUMBER = re.compile(r"^\+[1-9][0-9]{6,14}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


class TwilioSmsSender:
    def __init__(self, account_sid: str, auth_token: str, sender: str, *, base_url: str = TWILIO_API_URL,
                 timeout: float = 10.0) -> None:
        if not _ACCOUNT_SID.match(account_sid):
            raise ValueError("a Twilio Account SID is AC followed by 32 hexadecimal digits")
        if not auth_token:
            raise ValueError("a Twilio Auth Token is required")
        if _MESSAGING_SERVICE_SID.match(sender):
            self._origin = {"MessagingServiceSid": sender}
        elif _PHONE_NUMBER.match(sender) or _ALPHANUMERIC_SENDER.match(sender):
            self._origin = {"From": sender}
        else:
            raise ValueError("a Twilio sender is an E.164 number, an alphanumeric sender ID of at most 11 "
                             f"characters or a Messaging Service SID (MG...), not {sender!r}")
        self._path = f"/2010-04-01/Accounts/{quote(account_sid)}/Messages.json"
        self._http = HttpSmsClient("Twilio", base_url, timeout=timeout,
                                   auth=httpx.BasicAuth(account_sid, auth_token),
                                   headers={"accept": "application/json"})

    def send(self, sms: OutgoingSms) -> None:
        receipt = self._http.post(self._path, data={"To": sms.to, **self._origin, "Body": sms.text})
        if isinstance(receipt, dict):
            log.info("Twilio accepted an SMS (message %s, %s)", receipt.get("sid"), receipt.get("status"))

    def close(self) -> None:
        self._http.close()


def factory(config: SmsProviderConfig) -> TwilioSmsSender:
    """Entry point ``twilio`` of ``seing.sms_senders``; options ``account_sid``, ``auth_token``."""
    return TwilioSmsSender(config.option("account_sid") or "", config.option("auth_token") or "",
                           config.sender_name, base_url=config.api_url or TWILIO_API_URL,
                           timeout=config.timeout_seconds)
