"""The OpenAPI document at /schema describes every API operation and its problems."""

from __future__ import annotations

import pytest

OPERATIONS = {
    ("GET", "/api/v1/csrf"): "getCsrfToken",
    ("GET", "/api/v1/session"): "getSession",
    ("POST", "/api/v1/session"): "createSession",
    ("POST", "/api/v1/session/second-factor"): "verifySecondFactor",
    ("DELETE", "/api/v1/session"): "deleteSession",
    ("GET", "/api/v1/me"): "getMe",
    ("PUT", "/api/v1/me/locale"): "setMyLocale",
    ("PUT", "/api/v1/me/password"): "changeMyPassword",
    ("POST", "/api/v1/me/totp"): "startTotpSetup",
    ("POST", "/api/v1/me/totp/confirmation"): "confirmTotp",
    ("POST", "/api/v1/me/totp/deactivation"): "disableTotp",
    ("GET", "/api/v1/cabinets"): "listMyCabinets",
    ("GET", "/api/v1/cabinets/{cabinet_id}/members"): "listCabinetMembers",
    ("POST", "/api/v1/cabinets/{cabinet_id}/invitations"): "inviteMember",
    ("DELETE", "/api/v1/cabinets/{cabinet_id}/invitations/{invitation_id}"): "revokeInvitation",
    ("GET", "/api/v1/cabinets/{cabinet_id}/api-keys"): "listApiKeys",
    ("POST", "/api/v1/cabinets/{cabinet_id}/api-keys"): "createApiKey",
    ("DELETE", "/api/v1/cabinets/{cabinet_id}/api-keys/{key_id}"): "revokeApiKey",
    ("PUT", "/api/v1/cabinets/{cabinet_id}/members/{member_id}/delegations/{delegation}"): "grantDelegation",
    ("DELETE", "/api/v1/cabinets/{cabinet_id}/members/{member_id}/delegations/{delegation}"): "withdrawDelegation",
    ("POST", "/api/v1/cabinets/{cabinet_id}/webhooks"): "createWebhookEndpoint",
    ("GET", "/api/v1/cabinets/{cabinet_id}/webhooks"): "listWebhookEndpoints",
    ("DELETE", "/api/v1/cabinets/{cabinet_id}/webhooks/{endpoint_id}"): "deleteWebhookEndpoint",
    ("POST", "/api/v1/cabinets/{cabinet_id}/webhooks/{endpoint_id}/secret"): "rotateWebhookSecret",
    ("GET", "/api/v1/cabinets/{cabinet_id}/webhooks/{endpoint_id}/deliveries"): "listWebhookDeliveries",
    ("GET", "/api/v1/cabinets/{cabinet_id}/seal"): "getCabinetSeal",
    ("POST", "/api/v1/cabinets/{cabinet_id}/seal/certificate-requests"): "requestSealCertificate",
    ("POST", "/api/v1/cabinets/{cabinet_id}/seal/certificate-requests/{request_id}/approval"):
        "approveSealCertificateRequest",
    ("POST", "/api/v1/cabinets/{cabinet_id}/seal/certificate-requests/{request_id}/rejection"):
        "rejectSealCertificateRequest",
    ("POST", "/api/v1/cabinets/{cabinet_id}/sealings"): "sealDocuments",
    ("GET", "/api/v1/cabinets/{cabinet_id}/sealings/{sealing_id}"): "getSealing",
    ("GET", "/api/v1/cabinets/{cabinet_id}/sealings/{sealing_id}/documents/{document_id}"): "getSealedDocument",
    ("GET", "/api/v1/cabinets/{cabinet_id}/sealings/{sealing_id}/evidence.pdf"): "getSealingEvidencePdf",
    ("GET", "/api/v1/cabinets/{cabinet_id}/sealings/{sealing_id}/evidence.json"): "getSealingEvidenceJson",
    ("POST", "/api/v1/cabinets/{cabinet_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"):
        "redeliverWebhook",
    ("GET", "/api/v1/invitations/{token}"): "getInvitation",
    ("POST", "/api/v1/invitations/{token}/accept"): "acceptInvitation",
    ("POST", "/api/v1/password-reset"): "requestPasswordReset",
    ("POST", "/api/v1/password-reset/{token}"): "resetPassword",
    ("GET", "/api/v1/collections"): "listCollections",
    ("POST", "/api/v1/collections"): "createCollection",
    ("POST", "/api/v1/collections:send"): "sendNewCollection",
    ("GET", "/api/v1/collections/{collection_id}"): "getCollection",
    ("GET", "/api/v1/collections/{collection_id}/timeline"): "getCollectionTimeline",
    ("POST", "/api/v1/collections/{collection_id}/documents"): "addCollectionDocuments",
    ("DELETE", "/api/v1/collections/{collection_id}/documents/{document_id}"): "removeCollectionDocument",
    ("GET", "/api/v1/collections/{collection_id}/documents/{document_id}/original"): "downloadCollectionOriginal",
    ("PUT", "/api/v1/collections/{collection_id}/documents/{document_id}/fields/{signer_id}"): "placeSignatureField",
    ("PUT", "/api/v1/collections/{collection_id}/info"): "updateCollectionInfo",
    ("PUT", "/api/v1/collections/{collection_id}/options"): "updateCollectionOptions",
    ("POST", "/api/v1/collections/{collection_id}/observers"): "addCollectionObserver",
    ("DELETE", "/api/v1/collections/{collection_id}/observers/{observer_id}"): "removeCollectionObserver",
    ("POST", "/api/v1/collections/{collection_id}/signers"): "addCollectionSigner",
    ("DELETE", "/api/v1/collections/{collection_id}/signers/{signer_id}"): "removeCollectionSigner",
    ("PUT", "/api/v1/collections/{collection_id}/signers/{signer_id}/level"): "setCollectionSignerLevel",
    ("PUT", "/api/v1/collections/{collection_id}/signers/order"): "reorderCollectionSigners",
    ("POST", "/api/v1/collections/{collection_id}/send"): "sendCollection",
    ("POST", "/api/v1/collections/{collection_id}/signers/{signer_id}/reminders"): "remindCollectionSigner",
    ("POST", "/api/v1/collections/{collection_id}/signers/{signer_id}/replacement"): "replaceCollectionSigner",
    ("POST", "/api/v1/collections/{collection_id}/cancellation"): "cancelCollection",
    ("GET", "/api/v1/cabinets/{cabinet_id}/signer-choices"): "listSignerChoices",
    ("GET", "/api/v1/me/signature"): "getMySignature",
    ("GET", "/api/v1/me/certificates"): "listMyCertificates",
    ("GET", "/api/v1/me/certificates/{certificate}"): "getMyCertificate",
    ("POST", "/api/v1/me/certificates/{certificate_id}/revocation"): "revokeMyCertificate",
    ("GET", "/api/v1/cabinets/{cabinet_id}/lcp-registration"): "getLcpRegistration",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration"): "startLcpRegistration",
    ("DELETE", "/api/v1/cabinets/{cabinet_id}/lcp-registration"): "cancelLcpRegistration",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/email-code"): "sendLcpEmailCode",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/email-code/verification"): "verifyLcpEmailCode",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/sms-code"): "sendLcpSmsCode",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/sms-code/verification"): "verifyLcpSmsCode",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/identity-confirmation"): "confirmLcpIdentity",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/identity-check"): "startLcpIdentityCheck",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/identity-check/link"): "renewLcpCaptureLink",
    ("GET", "/api/v1/cabinets/{cabinet_id}/lcp-registration/identity-check"): "getLcpIdentityCheckStatus",
    ("POST", "/api/v1/cabinets/{cabinet_id}/lcp-registration/terms-acceptance"): "acceptLcpTerms",
    ("GET", "/api/v1/signature/{token}"): "getSignerCeremony",
    ("POST", "/api/v1/signature/{token}/open"): "openSignerCeremony",
    ("GET", "/api/v1/signature/{token}/documents/{document_id}"): "getSignerDocument",
    ("POST", "/api/v1/signature/{token}/code"): "requestSigningCode",
    ("POST", "/api/v1/signature/{token}/consent"): "startSignerConsent",
    ("POST", "/api/v1/signature/{token}/signature"): "signCeremony",
    ("POST", "/api/v1/signature/{token}/refusal"): "refuseCeremony",
    ("POST", "/api/v1/signature/{token}/identity-check"): "startSignerIdentityCheck",
    ("GET", "/api/v1/signature/{token}/identity-check"): "getSignerIdentityCheck",
    ("GET", "/api/v1/downloads/{token}"): "getDownloadLink",
    ("GET", "/api/v1/downloads/{token}/documents/{document_id}"): "downloadSignedDocument",
    ("GET", "/api/v1/downloads/{token}/evidence.pdf"): "downloadEvidencePdf",
    ("GET", "/api/v1/downloads/{token}/evidence.json"): "downloadEvidenceJson",
    ("POST", "/api/v1/verifications"): "verifyPdf",
    ("GET", "/api/v1/collections/{collection_id}/signed-documents/{document_id}"): "downloadCollectionSignedDocument",
    ("GET", "/api/v1/collections/{collection_id}/evidence.pdf"): "downloadCollectionEvidencePdf",
    ("GET", "/api/v1/collections/{collection_id}/evidence.json"): "downloadCollectionEvidenceJson",
    ("GET", "/api/v1/back-office/enrollments"): "listOfficerQueue",
    ("GET", "/api/v1/back-office/enrollments/{enrollment_id}"): "getOfficerFile",
    ("GET", "/api/v1/back-office/enrollments/{enrollment_id}/signed-request"): "getOfficerSignedRequest",
    ("GET", "/api/v1/back-office/enrollments/{enrollment_id}/images/{step}"): "getOfficerEvidenceImage",
    ("GET", "/api/v1/back-office/identity-reviews"): "listIdentityReviews",
    ("GET", "/api/v1/back-office/identity-reviews/{session_ref}"): "getIdentityReview",
    ("POST", "/api/v1/back-office/enrollments/{enrollment_id}/decision"): "decideQcpEnrollment",
    ("POST", "/api/v1/back-office/identity-reviews/{session_ref}/decision"): "decideIdentityReview",
    ("GET", "/api/v1/identity-captures/{session_ref}"): "getIdentityCapture",
    ("POST", "/api/v1/identity-captures/{session_ref}/completion"): "finishIdentityCapture",
    ("POST", "/api/v1/identity-captures/{session_ref}/images/{step}"): "submitIdentityImage",
    ("POST", "/api/v1/qcp-enrollments"): "startQcpEnrollment",
    ("GET", "/api/v1/qcp-enrollments/current"): "getCurrentQcpEnrollment",
    ("GET", "/api/v1/qcp-enrollments/{enrollment_id}"): "getQcpEnrollment",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/email-code"): "sendQcpEmailCode",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/email-code/check"): "checkQcpEmailCode",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/identity-confirmation"): "confirmQcpIdentity",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/prerequisites"): "confirmQcpPrerequisites",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/consents"): "giveQcpConsents",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/identity-check"): "startQcpIdentityCheck",
    ("GET", "/api/v1/qcp-enrollments/{enrollment_id}/identity-check"): "getQcpIdentityCheckStatus",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/identity-check/link"): "renewQcpCaptureLink",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/identity-validation"): "validateQcpIdentity",
    ("GET", "/api/v1/qcp-enrollments/{enrollment_id}/request"): "getQcpRequest",
    ("GET", "/api/v1/qcp-enrollments/{enrollment_id}/request/pdf"): "getQcpRequestPdf",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/request/acceptance"): "acceptQcpRequest",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/signing-code"): "sendQcpSigningCode",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/signature"): "signQcpRequest",
    ("GET", "/api/v1/qcp-enrollments/{enrollment_id}/signed-request"): "getQcpSignedRequest",
    ("POST", "/api/v1/qcp-enrollments/{enrollment_id}/cancellation"): "cancelQcpEnrollment",
}


@pytest.fixture
def schema(raw):
    answer = raw.get("/schema/openapi.json")
    assert answer.status_code == 200
    return answer.json()


def api_operations(schema):
    return {(method.upper(), path): operation
            for path, item in schema["paths"].items() if path.startswith("/api/")
            for method, operation in item.items()}


def test_the_document_is_titled_and_versioned(schema):
    assert schema["info"]["title"] == "Seing API"
    assert schema["info"]["version"]
    assert "X-CSRFToken" in schema["info"]["description"]
    assert {t["name"] for t in schema["tags"]} >= {"Session", "Moi", "Cabinets", "Invitations"}


def test_every_operation_is_listed_with_its_operation_id(schema):
    found = {key: op.get("operationId") for key, op in api_operations(schema).items()}
    assert found == OPERATIONS


def test_every_operation_is_tagged_summarised_and_described(schema):
    for key, operation in api_operations(schema).items():
        assert operation.get("tags"), key
        assert operation.get("summary"), key
        assert operation.get("description"), key


def test_operation_ids_are_unique(schema):
    ids = [op["operationId"] for op in api_operations(schema).values()]
    assert len(ids) == len(set(ids))


def test_refusals_are_documented_as_problem_details(schema):
    for key, operation in api_operations(schema).items():
        bad_request = operation["responses"]["400"]
        assert list(bad_request["content"]) == ["application/problem+json"], key
        assert bad_request["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status", "detail", "code"}


def test_every_operation_that_needs_the_csrf_token_documents_its_403(schema):
    """Schemathesis found 24 POST/DELETE operations (LCP registration, QCP enrollment, identity
    capture, back office) answering 403 csrf.failed without documenting it."""
    import re

    from entrypoints.web.app import CSRF_EXEMPT_PATHS

    missing = [key for key, operation in api_operations(schema).items()
               if key[0] in {"POST", "PUT", "PATCH", "DELETE"}
               and not any(re.search(pattern, key[1]) for pattern in CSRF_EXEMPT_PATHS)
               and "403" not in operation["responses"]]
    assert missing == []


def test_every_operation_documents_the_refusals_of_an_api_key(schema):
    """Schemathesis with an admin key found 32 operations (profile, session, QCP, signer links,
    downloads, verification) answering 403 api_key.not_accepted without documenting it; an
    unknown key gets 401 from any of them."""
    for key, operation in api_operations(schema).items():
        assert {"401", "403"} <= set(operation["responses"]), key


def test_bodies_are_described_by_their_input_class(schema):
    body = api_operations(schema)[("POST", "/api/v1/cabinets/{cabinet_id}/invitations")]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/InvitationInput"}
    invitation = schema["components"]["schemas"]["InvitationInput"]
    assert set(invitation["required"]) == {"email", "given_names", "surname"}
    assert schema["components"]["schemas"]["Delegation"]["enum"] == ["sign", "seal", "prepare"]


def test_the_key_and_idempotency_are_documented(schema):
    assert schema["components"]["securitySchemes"]["cleApi"] == {"type": "http", "scheme": "bearer",
                                                                 "description": schema["components"]["securitySchemes"]
                                                                 ["cleApi"]["description"]}
    assert "Authorization: Bearer" in schema["info"]["description"]
    assert "Idempotency-Key" in schema["info"]["description"]


def test_html_pages_stay_out_of_the_api_document(schema):
    assert all(path.startswith("/api/") for path in schema["paths"])


# Issue 13, item 9 ------------------------------------------------------------------------------


def test_options_allows_every_method_of_each_path(raw, schema):
    import re

    for path, item in schema["paths"].items():
        url = re.sub(r"\{[a-z_]+\}", "x", path)
        answer = raw.options(url)
        allowed = {m.strip() for m in answer.headers.get("allow", "").split(",")}
        assert {m.upper() for m in item} <= allowed, (path, allowed)


def test_problem_params_are_typed_without_ambiguity(schema):
    # An integer is also a number: under ``oneOf`` a count would match two branches and fail.
    values = schema["components"]["schemas"]["Problem"]["properties"]["params"]["additionalProperties"]
    types = [branch.get("type") for branch in values.get("oneOf", values.get("anyOf", [values]))]
    assert "integer" not in types or "number" not in types, types


def test_every_operation_with_a_body_documents_422(schema):
    for key, operation in api_operations(schema).items():
        if "requestBody" in operation:
            assert "422" in operation["responses"], key


def test_every_operation_with_a_path_parameter_documents_404(schema):
    for key, operation in api_operations(schema).items():
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            assert "404" in operation["responses"], key


def test_every_throttled_operation_documents_429(schema):
    operations = api_operations(schema)
    for key in [("POST", "/api/v1/session"), ("POST", "/api/v1/password-reset")]:
        assert "429" in operations[key]["responses"], key


def test_an_upload_in_the_wrong_format_is_a_415_like_json_routes(api, cabinet):
    from tests.api.conftest import problem_of

    api.login()
    answer = api.post("/api/v1/collections", json={"cabinet_id": cabinet.cabinet_id})
    assert problem_of(answer, 415)["code"] == "http.unsupported_media_type"
    answer = api.post("/api/v1/collections/unknown/documents", content=b"%PDF-1.7", headers={"content-type": "application/pdf"})
    assert problem_of(answer, 415)["code"] == "http.unsupported_media_type"
