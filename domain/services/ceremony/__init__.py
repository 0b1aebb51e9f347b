"""The signing ceremony: a signer's link → a code → every document signed, then completion.

One module per capability:

- ``opening``: the signer's page (``view_ceremony``, ``open_ceremony``, ``ceremony_status``, the documents to read, ``refuse``);
- ``signer_identity``: level 3 for an external signer, the identity check before the code;
- ``signing``: ``request_signing_code``, ``sign`` and the worker's ``finalise_signature`` (trusted
  time was unavailable), all taking one ``SigningPorts`` the composition root builds;
- ``completion``: the worker's ``finalise_collection`` (B-LTA, evidence, download links) and
  ``seal_evidence`` (refusal, expiry, cancellation);
- ``downloads``: the signed documents and evidence, by link or for a member;
- ``fields``: the empty signature fields created when the collection is sent;
- ``links``: what every step starts from (the signer's link, whether they may sign).
"""

from domain.services.ceremony.completion import finalise_collection, seal_evidence, seal_pending_evidence
from domain.services.ceremony.consent import ConsentStarted, finish_remote_consent, start_remote_consent
from domain.services.ceremony.downloads import download_by_link, evidence_for_member, signed_document_for_member
from domain.services.ceremony.fields import attach_prepared_versions, build_prepared_versions, prepare_fields
from domain.services.ceremony.opening import (
    CeremonyDocument,
    CeremonyView,
    ceremony_status,
    open_ceremony,
    read_document_for_signer,
    refuse,
    render_page_for_signer,
    view_ceremony,
)
from domain.services.ceremony.signer_identity import identity_check_outcome, record_identity_check, start_identity_check
from domain.services.ceremony.signing import (
    CodeSent,
    SigningPorts,
    SignOutcome,
    finalise_signature,
    request_signing_code,
    sign,
)

__all__ = [
    "CeremonyDocument", "CeremonyView", "CodeSent", "ConsentStarted", "finish_remote_consent",
    "start_remote_consent", "SignOutcome", "SigningPorts", "attach_prepared_versions",
    "build_prepared_versions", "ceremony_status", "download_by_link", "evidence_for_member", "finalise_collection",
    "finalise_signature", "identity_check_outcome", "open_ceremony", "prepare_fields", "read_document_for_signer",
    "record_identity_check", "refuse", "render_page_for_signer", "request_signing_code", "seal_evidence",
    "seal_pending_evidence", "sign", "signed_document_for_member", "start_identity_check", "view_ceremony",
]
