from adapters.memory.security import PlainPasswordHasher
from adapters.security.passwords import Argon2PasswordHasher
from adapters.security.totp import PyotpTotp
from ports.contracts.security import PasswordHasherContract, TotpContract


class TestPlainPasswordHasher(PasswordHasherContract):
    def make_adapter(self):
        return PlainPasswordHasher()


class TestArgon2PasswordHasher(PasswordHasherContract):
    def make_adapter(self):
        # Small costs keep the suite fast; the algorithm and the code paths are the real ones.
        return Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


class TestPyotpTotp(TotpContract):
    def make_adapter(self):
        return PyotpTotp()


def test_argon2_hashes_are_argon2id():
    assert Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x").startswith("$argon2id$")


def test_argon2_asks_for_a_rehash_when_costs_rise():
    weak = Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    stored = weak.hash("password")
    assert not weak.needs_rehash(stored)
    assert Argon2PasswordHasher(time_cost=2, memory_cost=8 * 1024, parallelism=1).needs_rehash(stored)


def test_plain_hasher_refuses_hashes_from_another_scheme():
    argon = Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    assert not PlainPasswordHasher().verify(argon.hash("pw"), "pw")
