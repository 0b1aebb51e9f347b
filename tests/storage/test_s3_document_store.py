"""The S3 document store against moto's standalone S3 server on loopback (a real HTTP server that
speaks the S3 API, started here on a free port): the same contract as the disk store, plus what S3
adds: streaming in parts, server-side encryption, no temporary object left, retention purges."""

from __future__ import annotations

import hashlib
import io
import secrets
import socket
from datetime import timedelta

import pytest

from adapters.storage.s3 import S3DocumentStore
from domain.model.collection import InvitationMode
from domain.model.errors import DocumentCorrupted, DocumentStoreUnavailable, InvalidValue
from domain.model.signer import SignatureLevel, SignerKind
from ports.contracts.documents import PDF, DocumentStoreContract

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing", "region": "eu-west-3"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                        region_name="eu-west-3")


def new_bucket(endpoint: str) -> str:
    name = f"seing-{secrets.token_hex(6)}"
    s3_client(endpoint).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return name


class TestS3DocumentStore(DocumentStoreContract):
    @pytest.fixture(autouse=True)
    def _bucket(self, s3_endpoint):
        self.endpoint = s3_endpoint
        self.bucket = new_bucket(s3_endpoint)

    def make_adapter(self) -> S3DocumentStore:
        return S3DocumentStore(self.bucket, endpoint_url=self.endpoint, prefix="documents", **CREDENTIALS)


class TestS3DocumentStoreWithEncryption(TestS3DocumentStore):
    def make_adapter(self) -> S3DocumentStore:
        return S3DocumentStore(self.bucket, endpoint_url=self.endpoint, server_side_encryption="AES256",
                               **CREDENTIALS)


class RecordingStream:
    """A non-seekable upload body (a request body, a pipe) that remembers how it was read."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.requested: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.requested.append(size)
        return self._inner.read(size)


@pytest.fixture
def bucket(s3_endpoint):
    return new_bucket(s3_endpoint)


@pytest.fixture
def store(s3_endpoint, bucket):
    return S3DocumentStore(bucket, endpoint_url=s3_endpoint, prefix="cabinet-docs/", **CREDENTIALS)


def keys(endpoint: str, bucket: str) -> list[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_objects_are_named_by_their_hash_under_the_prefix(store, s3_endpoint, bucket):
    ref = store.put(io.BytesIO(PDF))
    assert keys(s3_endpoint, bucket) == [f"cabinet-docs/{ref.sha256[:2]}/{ref.sha256[2:4]}/{ref.sha256}"]


def test_a_large_stream_is_uploaded_in_parts_without_reading_it_whole(store, s3_endpoint, bucket):
    data = secrets.token_bytes(1024) * (20 * 1024)  # 20 MiB: three parts of at most 8 MiB
    stream = RecordingStream(data)
    ref = store.put(stream)
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.size == len(data)
    assert all(0 < size <= 8 * 1024 * 1024 for size in stream.requested)
    assert len(stream.requested) >= 3
    # Nothing left under incoming/: only the document, under its name.
    assert keys(s3_endpoint, bucket) == [store.key(ref.sha256)]
    with store.open(ref.sha256) as handle:
        assert handle.read(4096) == data[:4096]
        assert handle.read() == data[4096:]


def test_objects_are_encrypted_at_rest_when_configured(s3_endpoint, bucket):
    store = S3DocumentStore(bucket, endpoint_url=s3_endpoint, server_side_encryption="AES256", **CREDENTIALS)
    small = store.put(PDF)
    streamed = store.put(io.BytesIO(PDF + b"streamed"))
    client = s3_client(s3_endpoint)
    for ref in (small, streamed):
        assert client.head_object(Bucket=bucket, Key=store.key(ref.sha256))["ServerSideEncryption"] == "AES256"


def test_a_stored_object_is_not_written_again(store, s3_endpoint, bucket):
    ref = store.put(PDF)
    client = s3_client(s3_endpoint)
    before = client.head_object(Bucket=bucket, Key=store.key(ref.sha256))["LastModified"]
    store.put(io.BytesIO(PDF))
    store.put(PDF)
    assert client.head_object(Bucket=bucket, Key=store.key(ref.sha256))["LastModified"] == before


def test_a_damaged_object_is_reported_as_corrupted_on_read(store, s3_endpoint, bucket):
    ref = store.put(PDF)
    s3_client(s3_endpoint).put_object(Bucket=bucket, Key=store.key(ref.sha256), Body=PDF.replace(b"pretend", b"tampered"))
    with pytest.raises(DocumentCorrupted):
        store.read(ref.sha256)


def test_a_name_that_is_not_a_sha256_is_refused_before_any_request(store):
    with pytest.raises(InvalidValue):
        store.read("../../other-bucket/secret")
    with pytest.raises(InvalidValue):
        store.exists(hashlib.sha256(b"x").hexdigest().upper())


def test_a_missing_bucket_is_an_unavailable_store_not_an_absent_document(s3_endpoint):
    store = S3DocumentStore("no-such-bucket", endpoint_url=s3_endpoint, **CREDENTIALS)
    with pytest.raises(DocumentStoreUnavailable) as raised:
        store.open(hashlib.sha256(b"x").hexdigest())
    assert raised.value.params["s3_code"] == "NoSuchBucket"
    with pytest.raises(DocumentStoreUnavailable):
        store.put(PDF)


def test_an_unreachable_server_is_an_unavailable_store(bucket):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = S3DocumentStore(bucket, endpoint_url=f"http://127.0.0.1:{port}", max_attempts=1, **CREDENTIALS)
    sha = hashlib.sha256(PDF).hexdigest()
    for attempt in (lambda: store.put(PDF), lambda: store.put(io.BytesIO(PDF)), lambda: store.exists(sha),
                    lambda: store.read(sha), lambda: store.delete(sha)):
        with pytest.raises(DocumentStoreUnavailable):
            attempt()


def test_bad_encryption_settings_are_refused_at_construction():
    with pytest.raises(ValueError, match="AES256"):
        S3DocumentStore("b", server_side_encryption="rot13")
    with pytest.raises(ValueError, match="KMS"):
        S3DocumentStore("b", server_side_encryption="AES256", kms_key_id="arn:aws:kms:eu-west-3:1:key/x")
    with pytest.raises(ValueError, match="bucket"):
        S3DocumentStore("")


def test_retention_purges_the_documents_from_the_bucket(s3_endpoint, bucket, tmp_path):
    from tests.ceremony.harness import Ceremony

    world = Ceremony(tmp_path / "world")
    store = S3DocumentStore(bucket, endpoint_url=s3_endpoint, **CREDENTIALS)
    from dependency_injector import providers

    world.container.adapters.document_store.override(providers.Object(store))
    cid = world.collection([dict(kind=SignerKind.EXTERNAL, level=SignatureLevel.SIMPLE, given_names="Claire",
                                 surname="Petit", email="claire@exemple.fr")], mode=InvitationMode.PARALLEL)
    world.sign_as("claire@exemple.fr")
    assert world.run_jobs("finalise_collection") == 1
    collection = world.get(cid)
    documents = {d.ref.sha256 for d in collection.documents} | {d.latest.sha256 for d in collection.documents}
    assert all(store.exists(sha) for sha in documents)
    world.clock.advance(timedelta(days=31))
    assert world.uc.apply_retention().documents_purged == (cid,)
    assert not any(store.exists(sha) for sha in documents)
    remaining = set(keys(s3_endpoint, bucket))
    assert {store.key(collection.evidence.pdf.sha256), store.key(collection.evidence.json.sha256)} <= remaining
