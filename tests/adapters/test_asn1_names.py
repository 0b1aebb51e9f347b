"""Distinguished names compare as asn1crypto compares them, with its work kept by encoding,
in every process that uses an adapter (the signing pool's and the workers' included)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from asn1crypto import x509

import adapters  # noqa: F401  (installs it)
from tests.child_env import ROOT, python_child_env


def _name(**values: str) -> x509.Name:
    return x509.Name.build(values)


def _printable(**values: str) -> x509.Name:
    return x509.Name.build(values, use_printable=True)


PAIRS = [
    (_name(common_name="Seing Root CA", country_name="FR"), _name(common_name="Seing Root CA", country_name="FR")),
    (_printable(common_name="Seing Root CA", country_name="FR"), _name(common_name="seing root ca", country_name="FR")),
    (_printable(common_name="Seing Root CA"), _printable(common_name="Seing Root CA", country_name="FR")),
    (_name(common_name="Seing Root CA", country_name="FR"), _name(common_name="seing  root ca", country_name="FR")),
    (_name(common_name="Cabinet Élise"), _name(common_name="CABINET ÉLISE")),
    (_name(common_name="Cabinet Élise"), _name(common_name="Cabinet Elise")),
    (_name(common_name="A", organization_name="B"), _name(common_name="A", organization_name="C")),
    (_name(common_name=" leading and trailing "), _name(common_name="leading and trailing")),
]


@pytest.mark.parametrize("left, right", PAIRS, ids=range(len(PAIRS)))
def test_names_compare_as_asn1crypto_compares_them(left, right, monkeypatch):
    cached_once, cached_twice = left == right, x509.Name.load(left.dump()) == x509.Name.load(right.dump())
    rdn = x509.RelativeDistinguishedName
    monkeypatch.setattr(rdn, "_get_values", rdn._seing_uncached_values)
    monkeypatch.setattr(x509.Name, "__eq__", x509.Name._seing_uncached_eq)
    uncached = x509.Name.load(left.dump()) == x509.Name.load(right.dump())

    assert cached_once == cached_twice == uncached
    assert (left != right) is not cached_once


@pytest.mark.parametrize("left, right", PAIRS, ids=range(len(PAIRS)))
def test_a_names_key_is_asn1cryptos_own(left, right):
    for name in (left, right, x509.Name.load(left.dump())):
        assert name.hashable == x509.Name._seing_uncached_hashable.fget(x509.Name.load(name.dump()))
    # Equal names share a key, as pyHanko's registries need.
    assert (left.hashable == right.hashable) is (left == right)


def test_a_name_is_never_equal_to_something_else():
    name = _name(common_name="Seing Root CA")
    assert name != name.dump() and name != "Seing Root CA" and name != None  # noqa: E711


def test_every_process_that_imports_an_adapter_keeps_the_work():
    probe = ("import adapters.signing.pyhanko_signing; from asn1crypto import x509; "
             "print(getattr(x509.RelativeDistinguishedName, '_seing_cached_values', False))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                            env=python_child_env(), timeout=120, check=True)
    assert result.stdout.strip() == "True"
