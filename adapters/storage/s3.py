"""Documents as objects in an S3 bucket (AWS S3, or any S3-compatible store: MinIO, Ceph, Scaleway,
OVHcloud, Garage), named by their SHA-256 under an optional prefix: ``<prefix>ab/cd/abcd…``.

Content addressing without buffering a whole file: the name is known only once every byte has been
read, so a stream is uploaded (multipart above 8 MiB, through boto3's managed transfer) to a
temporary ``<prefix>incoming/<random>`` object while it is hashed, then copied server-side to its
final name if no object has that name yet, and the temporary object is deleted. A process killed in
between leaves at worst an ``incoming/`` object nobody references: give the bucket a lifecycle rule
that expires ``incoming/`` after a day and aborts incomplete multipart uploads. Bytes already in
memory are hashed first and written straight to their name.

Every failure of the server or the network (after boto3's retries), and every refusal other than
"no such key" (no such bucket, access denied), is ``DocumentStoreUnavailable`` with S3's code: the
web answers 503 with a French sentence rather than a 500, and the worker retries its job.

An S3 object appears whole or not at all, so readers never see a half-written document; an existing
name is never written again (same name, same bytes). Reads stream the response body; ``read`` checks
the SHA-256 like the disk store. Server-side encryption (SSE-S3 ``AES256`` or SSE-KMS ``aws:kms``
with an optional key id) applies to every object written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import secrets
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from domain.model.document import DocumentRef
from domain.model.errors import DocumentCorrupted, DocumentStoreUnavailable, InvalidValue, NotFound
from ports.documents import lend_by_copy, put_file_by_copy
from ports.providers import ProviderConfig

__all__ = ["S3DocumentStore", "factory"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024
_PART = 8 * 1024 * 1024
_ABSENT = {"404", "NoSuchKey", "NotFound"}

# One boto3 session for the process: a session loads the S3 service model (tens of JSON files)
# the first time it makes a client, so a session per store paid 0.1-0.3 s of CPU for each store
# built (each container, each test), and a shared one a few milliseconds. The credentials stay
# per client. boto3 sessions are not thread-safe, hence the lock around client creation.
_SESSION: boto3.session.Session | None = None
_SESSION_LOCK = threading.Lock()


def _s3_client(**options: Any) -> Any:
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = boto3.session.Session()
        return _SESSION.client("s3", **options)


class _HashingReader:
    """Hashes and counts what the upload reads. Deliberately not seekable: boto3 then reads it
    once, in order, one part at a time, instead of seeking back over a stream it cannot rewind."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


class _BodyReader(io.RawIOBase):
    """The response body of a GET as a raw stream, so that ``open`` gives an ordinary buffered file."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with _unavailable_on_failure("get"):
            data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3DocumentStore:
    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 prefix: str = "", server_side_encryption: str = "", kms_key_id: str = "",
                 addressing_style: str = "auto", max_attempts: int = 5, client: Any = None) -> None:
        if not bucket:
            raise ValueError("an S3 document store needs a bucket")
        if server_side_encryption not in ("", "AES256", "aws:kms"):
            raise ValueError("server-side encryption is AES256, aws:kms or nothing")
        if kms_key_id and server_side_encryption != "aws:kms":
            raise ValueError("a KMS key id goes with server-side encryption aws:kms")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            # S3-compatible servers on a custom endpoint rarely resolve bucket sub-domains.
            style = "path" if addressing_style == "auto" and endpoint_url else addressing_style
            client = _s3_client(aws_access_key_id=access_key_id or None,
                                aws_secret_access_key=secret_access_key or None, region_name=region or None,
                                endpoint_url=endpoint_url or None, config=Config(
                                    s3={"addressing_style": style},
                                    retries={"mode": "standard", "max_attempts": max_attempts}))
        self._client = client
        self._write_args: dict[str, str] = {}
        if server_side_encryption:
            self._write_args["ServerSideEncryption"] = server_side_encryption
        if kms_key_id:
            self._write_args["SSEKMSKeyId"] = kms_key_id
        # At most max_concurrency parts of _PART bytes are in memory at once, whatever the file's size.
        self._transfer = TransferConfig(multipart_threshold=_PART, multipart_chunksize=_PART, max_concurrency=4)

    def key(self, sha256: str) -> str:
        if not _SHA256.fullmatch(sha256):
            raise InvalidValue("sha256", "a SHA-256 is 64 lower-case hex digits")
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def put(self, content: bytes | BinaryIO) -> DocumentRef:
        with _unavailable_on_failure("put"):
            return self._put(content)

    def _put(self, content: bytes | BinaryIO) -> DocumentRef:
        if isinstance(content, (bytes, bytearray, memoryview)):
            data = bytes(content)
            ref = DocumentRef(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
            if not self.exists(ref.sha256):
                self._client.put_object(Bucket=self.bucket, Key=self.key(ref.sha256), Body=data, **self._write_args)
            return ref
        reader = _HashingReader(content)
        incoming = f"{self.prefix}incoming/{secrets.token_hex(16)}"
        self._client.upload_fileobj(reader, self.bucket, incoming, ExtraArgs=dict(self._write_args),
                                    Config=self._transfer)
        try:
            ref = DocumentRef(sha256=reader.digest.hexdigest(), size=reader.size)
            if not self.exists(ref.sha256):
                # A managed copy: server-side, in parts for large objects; nothing comes back to us.
                self._client.copy({"Bucket": self.bucket, "Key": incoming}, self.bucket, self.key(ref.sha256),
                                  ExtraArgs=dict(self._write_args), Config=self._transfer)
            return ref
        finally:
            self._client.delete_object(Bucket=self.bucket, Key=incoming)

    def put_file(self, path: Path, ref: DocumentRef | Callable[[], DocumentRef] | None = None) -> DocumentRef:
        return put_file_by_copy(self, path, ref)

    def lend(self, sha256: str, directory: Path | None = None) -> AbstractContextManager[Path]:
        return lend_by_copy(self, sha256, directory)

    def open(self, sha256: str) -> BinaryIO:
        key = self.key(sha256)
        with _unavailable_on_failure("get"):
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if _error_code(error) in _ABSENT:
                    raise NotFound(f"document {sha256} not found") from None
                raise
        return io.BufferedReader(_BodyReader(response["Body"]), buffer_size=_CHUNK)  # type: ignore[return-value]

    def read(self, sha256: str) -> bytes:
        digest = hashlib.sha256()
        chunks: list[bytes] = []
        with self.open(sha256) as handle, _unavailable_on_failure("get"):
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                chunks.append(chunk)
        if digest.hexdigest() != sha256:
            raise DocumentCorrupted("stored bytes do not match their SHA-256", sha256=sha256)
        return b"".join(chunks)

    def exists(self, sha256: str) -> bool:
        key = self.key(sha256)
        with _unavailable_on_failure("head"):
            try:
                self._client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as error:
                if _error_code(error) in _ABSENT:
                    return False
                raise
        return True

    def delete(self, sha256: str) -> None:
        # S3 answers 204 whether or not the object existed: deleting twice is not an error.
        key = self.key(sha256)
        with _unavailable_on_failure("delete"):
            self._client.delete_object(Bucket=self.bucket, Key=key)


@contextlib.contextmanager
def _unavailable_on_failure(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        raise DocumentStoreUnavailable(f"S3 {operation} refused: {_error_code(error)}",
                                       s3_code=_error_code(error)) from error
    except (BotoCoreError, Boto3Error) as error:  # Boto3Error: a managed transfer's S3UploadFailedError
        raise DocumentStoreUnavailable(f"S3 {operation} failed: {type(error).__name__}: {error}") from error


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def factory(config: ProviderConfig) -> S3DocumentStore:
    """Entry point ``s3`` of ``seing.document_stores``: options ``bucket`` (required), ``endpoint_url``
    (empty: AWS), ``region``, ``access_key_id``, ``secret_access_key`` (empty: boto3's usual chain,
    environment or instance role), ``prefix``, ``server_side_encryption``, ``kms_key_id``,
    ``addressing_style``."""
    return S3DocumentStore(config.require("bucket"), endpoint_url=config.option("endpoint_url") or None,
                           region=config.option("region") or None,
                           access_key_id=config.option("access_key_id") or None,
                           secret_access_key=config.option("secret_access_key") or None,
                           prefix=config.option("prefix"), server_side_encryption=config.option("server_side_encryption"),
                           kms_key_id=config.option("kms_key_id"),
                           addressing_style=config.option("addressing_style", "auto"))
