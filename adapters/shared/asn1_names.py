"""asn1crypto's comparison of distinguished names, its work kept by encoding.

Installed by the adapters package (adapters/__init__.py) in every process: path validation
compares names at every signature (the signing pool's pre-sign check of a one-time chain, the
worker's timestamps and seal, the verifier), not only where signatures are verified.
"""

from __future__ import annotations

from asn1crypto import x509


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
        try:
            key = rdn.dump()
        except Exception:
            return compute(self, rdn)
        found = cache.get(key)
        if found is None:
            if len(cache) >= 4096:
                cache.clear()
            found = cache[key] = compute(self, rdn)
        return dict(found)

    rdn_class._get_values = values  # type: ignore[method-assign]
    rdn_class._seing_cached_values = True  # type: ignore[attr-defined]
    rdn_class._seing_uncached_values = compute  # type: ignore[attr-defined]  # the benchmark's baseline
