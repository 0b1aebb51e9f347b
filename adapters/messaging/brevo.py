"""SMS through Brevo (ex-Sendinblue, Paris): the transactional SMS API.

Checked against Brevo's reference (developers.brevo.com, "Send SMS message asynchronously
to a mobile number", and the changelog entry "Deprecated Endpoint: POST
/v3/transactionalSMS/sms"), December 2026:

- ``POST https://api.brevo.com/v3/transactionalSMS/send``, JSON body, the key in an
  ``api-key`` header. The older ``/v3/transactionalSMS/sms`` still answers but is
  deprecated in favour of this one, which returns ``201 {"messageId": <long>}``.
- ``sender``: at most 11 letters and digits, or at most 15 digits; ``recipient``: the
  number with its country code, 6 to 15 digits optionally prefixed with ``+`` (we send
  E.164 as is); ``content``; ``type``: ``transactional`` (never a STOP code, or Brevo
  turns it into marketing, which French rules hold back at night and on Sundays);
  ``unicodeEnabled``: whether the content is treated as Unicode.
- Errors are ``{"code": "...", "message": "..."}`` with 400 (bad request, e.g. an invalid
  number), 401 (key refused), 402 (not enough credits), 403 (permission denied).
"""

from __future__ import annotations

import json
import logging
import re

from adapters.messaging._http_sms import HttpSmsClient, is_gsm_7
from ports.messaging import OutgoingSms, SmsProviderConfig

__all__ = ["BREVO_API_URL", "BrevoSmsSender", "factory"]

BREVO_API_URL = "https://api.brevo.com"

log = logging.getLogger("seing.sms")

_ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9]{1,11}$")
_NUMERIC_SENDER = re.compile(r"^[0-9]{1,15}$")


class BrevoSmsSender:
    def __init__(self, api_key: str, sender: str, *, base_url: str = BREVO_API_URL,
                 timeout: float = 10.0) -> None:
        if not api_key:
            raise ValueError("a Brevo API key is required")
        if not (_ALPHANUMERIC_SENDER.match(sender) or _NUMERIC_SENDER.match(sender)):
            raise ValueError(f"Brevo takes a sender of at most 11 letters and digits or 15 digits, not {sender!r}")
        self._sender = sender
        self._http = HttpSmsClient("Brevo", base_url, timeout=timeout,
                                   headers={"api-key": api_key, "accept": "application/json"})

    def send(self, sms: OutgoingSms) -> None:
        body = {"sender": self._sender, "recipient": sms.to, "content": sms.text, "type": "transactional",
                # GSM-7 texts go as such (160 characters a part); French accents outside it
                # (ê, ç, ’, «) need Unicode, or the operator's gateway drops them.
                "unicodeEnabled": not is_gsm_7(sms.text)}
        # Encoded here rather than with json=: the accents travel as UTF-8, not \\u escapes,
        # whatever the httpx version.
        receipt = self._http.post("/v3/transactionalSMS/send",
                                  content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                  headers={"content-type": "application/json"})
        message_id = receipt.get("messageId") if isinstance(receipt, dict) else None
        log.info("Brevo accepted an SMS (message %s)", message_id)

    def close(self) -> None:
        self._http.close()


def factory(config: SmsProviderConfig) -> BrevoSmsSender:
    """Entry point ``brevo`` of ``seing.sms_senders``; option ``api_key``."""
    return BrevoSmsSender(config.option("api_key") or "", config.sender_name,
                          base_url=config.api_url or BREVO_API_URL, timeout=config.timeout_seconds)
