"""asn1crypto's comparison of distinguished names, its work kept by encoding.

Installed by the adapters package (adapters/__init__.py) in every process: path validation
compares names at every signature (the signing pool's pre-sign check of a one-time chain, the
worker's timestamps and seal, the verifier), not only where signatures are verified.
"""

from __future__ import annotations

from typing import Any, Callable

from asn1crypto import x509

_BOUND = 4096  # entries per cache: a hierarchy has a few names; cleared whole when full


def _encoding(value: x509.Name | x509.RelativeDistinguishedName) -> bytes | None:
    """The value's DER encoding, or None for one asn1crypto cannot encode (compared its own way)."""
    try:
        return value.dump()
    except Exception:
        return None


def _kept(cache: dict[Any, Any], key: Any, compute: Callable[[], Any]) -> Any:
    found = cache.get(key)
    if found is None:
        if len(cache) >= _BOUND:
            cache.clear()
        found = cache[key] = compute()
    return found


def apply() -> None:
    """Make asn1crypto's comparison of distinguished names reuse its work across objects.

    Validation compares names constantly (a certificate's issuer with each candidate CA, each
    CRL's issuer with each certificate...) and the same names arrive as new objects every time
    (the DSS, each CMS, each CRL parsed again), so asn1crypto's per-object cache of RFC 4518
    string preparation never hits: on /verifier these comparisons were the largest cost of a
    three-signer PDF (``bench`` in README, issue 15). The prepared values of a relative
    distinguished name are a pure function of its DER encoding, so they are kept by encoding
    (bounded). Results are the same; only the repeated work goes.
    """
    rdn_class = x509.RelativeDistinguishedName
    if getattr(rdn_class, "_seing_cached_values", False):
        return
    compute = rdn_class._get_values
    cache: dict[bytes, dict[str, str]] = {}

    def values(self: x509.RelativeDistinguishedName, rdn: x509.RelativeDistinguishedName) -> dict[str, str]:
        key = _encoding(rdn)
        if key is None:
            return compute(self, rdn)
        return dict(_kept(cache, key, lambda: compute(self, rdn)))

    rdn_class._get_values = values  # type: ignore[method-assign]
    rdn_class._seing_cached_values = True  # type: ignore[attr-defined]
    rdn_class._seing_uncached_values = compute  # type: ignore[attr-defined]  # the benchmark's baseline
    _compare_whole_names_by_encoding()


def _compare_whole_names_by_encoding() -> None:
    """The same for whole names: equality and ``hashable`` (the key of pyHanko's certificate
    registries) are pure functions of the encodings, and the same few names of a hierarchy are
    compared thousands of times per validation (each CRL's issuer against each candidate: a
    tenth of a completed document's offline validation went to ``Name.__eq__``). Two names
    with the same encoding are equal without preparing their strings; others are compared as
    asn1crypto compares them, once per pair of encodings.
    """
    name_class = x509.Name
    compare = name_class.__eq__
    hashable = name_class.hashable.fget
    results: dict[tuple[bytes, bytes], bool] = {}
    keys: dict[bytes, str] = {}

    def __eq__(self: x509.Name, other: object) -> bool:  # noqa: N807 (asn1crypto's method)
        if not isinstance(other, x509.Name):
            return False
        mine, theirs = _encoding(self), _encoding(other)
        if mine is None or theirs is None:
            return compare(self, other)
        return mine == theirs or _kept(results, (mine, theirs), lambda: compare(self, other))

    def hashable_by_encoding(self: x509.Name) -> str:
        encoding = _encoding(self)
        if encoding is None:
            return hashable(self)
        return _kept(keys, encoding, lambda: hashable(self))

    name_class.__eq__ = __eq__  # type: ignore[method-assign,assignment]
    name_class.hashable = property(hashable_by_encoding)  # type: ignore[method-assign,assignment]
    # asn1crypto's own, for the tests that hold these to it and the benchmark's baseline.
    name_class._seing_uncached_eq = compare  # type: ignore[attr-defined]
    name_class._seing_uncached_hashable = property(hashable)  # type: ignore[attr-defined]
