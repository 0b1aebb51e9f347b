"""What every PasswordHasher and Totp must do.

The TOTP suite computes expected codes itself (RFC 6238 with the standard library), so it
needs no fake and checks an adapter against the specification, including RFC 6238's own
test vector.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

from ports.security import PasswordHasher, Totp

__all__ = ["PasswordHasherContract", "TotpContract", "reference_totp"]


class PasswordHasherContract:
    def make_adapter(self) -> PasswordHasher:
        raise NotImplementedError

    def test_is_a_password_hasher(self) -> None:
        assert isinstance(self.make_adapter(), PasswordHasher)

    def test_the_right_password_verifies(self) -> None:
        hasher = self.make_adapter()
        assert hasher.verify(hasher.hash("correct horse battery staple"), "correct horse battery staple")

    def test_a_wrong_password_is_refused_without_raising(self) -> None:
        hasher = self.make_adapter()
        stored = hasher.hash("correct horse battery staple")
        assert hasher.verify(stored, "Correct horse battery staple") is False
        assert hasher.verify(stored, "") is False

    def test_the_hash_does_not_contain_the_password(self) -> None:
        stored = self.make_adapter().hash("s3cret-Passw0rd")
        assert "s3cret-Passw0rd" not in stored

    def test_hashes_are_salted(self) -> None:
        hasher = self.make_adapter()
        assert hasher.hash("same password") != hasher.hash("same password")

    def test_unicode_passwords_work(self) -> None:
        hasher = self.make_adapter()
        stored = hasher.hash("Été à Noël — ça coûte 5 €")
        assert hasher.verify(stored, "Été à Noël — ça coûte 5 €")
        assert not hasher.verify(stored, "Ete a Noel — ca coute 5 €")

    def test_its_own_fresh_hash_needs_no_rehash_but_a_foreign_one_does(self) -> None:
        hasher = self.make_adapter()
        assert hasher.needs_rehash(hasher.hash("correct horse battery staple")) is False
        assert hasher.needs_rehash("not a hash of this hasher") is True

    def test_a_corrupt_hash_is_a_refusal_not_a_crash(self) -> None:
        hasher = self.make_adapter()
        for garbage in ("", "not a hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy", "plain$$", "$"):
            assert hasher.verify(garbage, "whatever") is False


def reference_totp(secret: str, at: datetime, *, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 TOTP with HMAC-SHA-1, for checking adapters against the specification."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(at.timestamp()) // step
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


# RFC 6238, appendix B: the ASCII secret "12345678901234567890", at T = 59 s.
_RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
_RFC_TIME = datetime(1970, 1, 1, 0, 0, 59, tzinfo=UTC)
_RFC_CODE = "287082"  # the last six digits of 94287082

_AT = datetime(2026, 11, 28, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30 s step


class TotpContract:
    def make_adapter(self) -> Totp:
        raise NotImplementedError

    def test_is_a_totp(self) -> None:
        assert isinstance(self.make_adapter(), Totp)

    def test_secrets_are_base32_with_at_least_160_bits(self) -> None:
        totp = self.make_adapter()
        secrets = {totp.new_secret() for _ in range(20)}
        assert len(secrets) == 20
        for secret in secrets:
            assert re.fullmatch(r"[A-Z2-7]+=*", secret)
            assert len(secret.rstrip("=")) * 5 >= 160

    def test_provisioning_uri_names_the_account_and_the_issuer(self) -> None:
        totp = self.make_adapter()
        secret = totp.new_secret()
        uri = totp.provisioning_uri(secret, account_name="claire.martin@example.fr", issuer="Seing")
        parts = urlsplit(uri)
        query = parse_qs(parts.query)
        assert parts.scheme == "otpauth"
        assert parts.netloc == "totp"
        assert "claire.martin@example.fr" in unquote(parts.path)
        assert query["secret"] == [secret]
        assert query["issuer"] == ["Seing"]

    def test_matches_the_rfc_6238_test_vector(self) -> None:
        assert self.make_adapter().verify(_RFC_SECRET, _RFC_CODE, at=_RFC_TIME)

    def test_the_current_code_is_accepted(self) -> None:
        totp = self.make_adapter()
        secret = totp.new_secret()
        assert totp.verify(secret, reference_totp(secret, _AT), at=_AT)

    def test_the_neighbouring_steps_are_tolerated(self) -> None:
        totp = self.make_adapter()
        secret = totp.new_secret()
        previous = reference_totp(secret, _AT - timedelta(seconds=30))
        following = reference_totp(secret, _AT + timedelta(seconds=30))
        assert totp.verify(secret, previous, at=_AT)
        assert totp.verify(secret, following, at=_AT)

    def test_an_old_code_is_refused(self) -> None:
        totp = self.make_adapter()
        secret = totp.new_secret()
        stale = reference_totp(secret, _AT - timedelta(minutes=2))
        if stale != reference_totp(secret, _AT):  # one chance in a million they coincide
            assert not totp.verify(secret, stale, at=_AT)

    def test_verification_uses_the_given_time_not_the_wall_clock(self) -> None:
        totp = self.make_adapter()
        secret = totp.new_secret()
        long_ago = datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)
        code = reference_totp(secret, long_ago)
        assert totp.verify(secret, code, at=long_ago)

    def test_wrong_or_malformed_codes_are_refused_without_raising(self) -> None:
        totp = self.make_adapter()
        secret = totp.new_secret()
        right = reference_totp(secret, _AT)
        wrong = str((int(right) + 1) % 10**6).zfill(6)
        for code in (wrong, "", "abcdef", "12345", "1234567", right + "0"):
            assert totp.verify(secret, code, at=_AT) is False
