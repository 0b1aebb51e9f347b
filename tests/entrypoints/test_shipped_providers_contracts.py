"""The one-line contract run works for every kind of port, not only document stores: the
providers Seing ships carry their contract hooks (``contract_hooks`` on the factory), so a
mailer, an SMS sender, a key vault and a TSA pass their whole suite through ``contract_for``
(what ``python -m ports.contracts`` runs) exactly as a third-party provider would."""

from __future__ import annotations

import pytest

from adapters.memory.clock import FixedClock
from ports.contracts.providers import contract_for

TestOutboxMailerThroughItsEntryPoint = contract_for("seing.mailers", "outbox", clock=FixedClock())
TestOutboxSmsSenderThroughItsEntryPoint = contract_for("seing.sms_senders", "outbox", clock=FixedClock())
TestSoftwareKeyVaultThroughItsEntryPoint = contract_for("seing.key_vaults", "software", clock=FixedClock())
TestBuiltinTsaThroughItsEntryPoint = contract_for("seing.timestamp_authorities", "builtin", clock=FixedClock())


def test_a_provider_without_hooks_is_told_which_hook_to_write():
    suite = contract_for("seing.mailers", "smtp", options={"host": "127.0.0.1"}, clock=FixedClock())()
    with pytest.raises(NotImplementedError, match=r"no contract hook delivered\(\).*contract_hooks"):
        suite.delivered(None)
