"""Implementations of the ports: one folder per family (persistence, messaging, ca, ...).

``adapters.memory`` holds the in-memory fakes used by tests and by the contract suites.
"""

# Before any adapter writes a signature, a time-stamp or a CMS it read: asn1crypto mistakes some
# definite lengths for BER's indefinite form and re-encodes them at exponential cost
# (adapters/shared/asn1_lengths.py). Here, so that every process that uses an adapter has it,
# the signing pool's and the workers' included.
from adapters.shared.asn1_lengths import apply as _correct_asn1_lengths
from adapters.shared.asn1_names import apply as _compare_names_by_encoding

_correct_asn1_lengths()
# Distinguished names compared by encoding, once per distinct name (adapters/shared/asn1_names.py).
_compare_names_by_encoding()
