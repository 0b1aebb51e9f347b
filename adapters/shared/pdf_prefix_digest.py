"""A large file's signature digest with the copy of its original revision off the critical path.

pyHanko signs a file in passes over its bytes: it parses the file, the writer copies the original
revision into the output (``_write_header``), then the signature's byte range is hashed by
reading the output back from its first byte (``PdfByteRangeDigest.fill``). The original revision
is the byte range's whole first part up to where the update begins, and copying and hashing it
needs nothing pyHanko decides: so, for a file of 1 MiB or more, it starts as soon as the file is
opened, in a helper thread, while pyHanko parses the file and builds the signature's objects. The
writer then waits for the copy instead of making it, and the digest goes on from the copy's hash
state, reading back only the update. The helper makes long calls that release the GIL (the
kernel's ``copy_file_range``, then ``update`` over 1 MiB reads of what was written), so pyHanko's
parsing, which holds the GIL, barely delays it.

On a 10 MB file the signature takes about a fifth less time when a second core is free, for about
a twentieth more CPU time (``make bench`` prints both): the same work, except that the read-back
of the copy is gone and the copy runs beside the parsing. Below 1 MiB a thread costs more than
the copy: pyHanko copies and hashes as it always did.

``PrefixDigestWriter`` is pyHanko's ``IncrementalPdfFileWriter`` that takes a ``PrefixCopy``;
``apply()`` swaps in a ``fill`` that uses a finished copy, and falls back to pyHanko's own (kept in
``ORIGINAL_FILL``) for every other case: an in-place update, another writer, a writer without a
copy, an output that is not the file copied into, another digest algorithm. The digest, the
offsets and the output are the same bytes either way: tests/signing/test_prefix_copy.py
holds the two against each other and has pyHanko's validator check the signatures.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import threading
from typing import IO, Any, Generator, Sequence

from pyhanko.pdf_utils import misc
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_byterange import PdfByteRangeDigest, PreparedByteRangeDigest

__all__ = ["ORIGINAL_FILL", "PrefixCopy", "PrefixDigestWriter", "apply", "fill", "start_prefix_copy"]

ORIGINAL_FILL = PdfByteRangeDigest.fill
# Digests whose hashlib and pyca/cryptography values are the same bytes for the same input.
_HASHLIB = frozenset({"sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512"})
_CHUNK = 1 << 20  # as the adapter's own copies: no more memory than pyHanko's copy took
# Below this, the copy is not worth a thread: pyHanko copies and hashes the file itself.
THREADED_FROM = 1 << 20


class PrefixCopy:
    """The original revision copied from ``source`` into ``target`` (both file descriptors,
    at the same offsets, from 0 to the source's end) and hashed, in a helper thread.

    Positional reads and writes: neither file's position moves, so pyHanko's reader may use
    the source meanwhile; the target must not be written by anyone else until ``result``."""

    def __init__(self, source: int, target: int, algorithm: str, checkpoints: Sequence[int] = ()) -> None:
        self.target = target
        self.algorithm = algorithm
        self.digest = hashlib.new(algorithm)
        # Offset -> hex digest of the copy's first bytes up to there, for each checkpoint inside it.
        # Checkpoints are asked for a result the document store takes (adapters/stored_files.py).
        self.checkpoints: dict[int, str] = {}
        self._wanted = sorted({c for c in checkpoints if c > 0})
        self._source = source
        self._size: int | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._copy, name="seing-pdf-prefix", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        # Few and long calls that release the GIL: between two of them this thread needs the
        # GIL back, and pyHanko's parsing in the main thread may hold it for up to the
        # interpreter's switch interval (5 ms) each time. So the kernel copies the file in one
        # call, then the copy (not the source: what is signed is what was written) is hashed in
        # 1 MiB reads. Not through a map of the file: its pages would count in the process's
        # resident memory, the whole file at once for a 100 MB scan.
        try:
            size = os.fstat(self._source).st_size
            copied = _copy_range(self._source, self.target, size)
            if self._wanted:  # for the store, which makes it durable
                _start_writeback(self.target, copied)
            view = memoryview(bytearray(min(copied, _CHUNK)))
            hashed, wanted = 0, [c for c in self._wanted if c <= copied]
            while hashed < copied:
                # A read stops at the next checkpoint, where the digest so far is noted.
                end = min(copied, wanted[0]) if wanted else copied
                if not (read := os.preadv(self.target, [view[:end - hashed]], hashed)):
                    break
                self.digest.update(view[:read])
                hashed += read
                while wanted and hashed == wanted[0]:
                    self.checkpoints[wanted.pop(0)] = self.digest.copy().hexdigest()
            if hashed != copied:
                raise OSError(f"the copy of the original revision reads back {hashed} of {copied} bytes")
            self._size = copied
        except BaseException as exc:  # handed to whoever waits for the copy
            self._error = exc

    def result(self) -> int:
        """Wait for the copy; how many bytes it copied and hashed (or its error)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._size is not None
        return self._size

    def wait(self) -> None:
        """Wait for the copy, whatever its outcome: nothing may write into the target after."""
        self._thread.join()


def _start_writeback(fd: int, length: int) -> bool:
    """Ask the kernel to start writing the copy to disk now (sync_file_range, SYNC_FILE_RANGE_WRITE:
    it does not wait), for a result the document store will make durable: its fsync of the finished
    file then finds it mostly written (10 MB: 18.4 -> 14 ms). Not for a file that stays a file: the
    writeback slows the hashing of the copy by about half a millisecond."""
    # A hint: where the call is missing or refused, the store's fsync does all the writing, as before.
    return _sync_file_range is not None and _sync_file_range(fd, 0, length, _SYNC_FILE_RANGE_WRITE) == 0


def _libc_sync_file_range() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):  # not Linux, or a libc without it
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    return function


_sync_file_range = _libc_sync_file_range()
_SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h


def _copy_range(source: int, target: int, size: int) -> int:
    """Copy ``size`` bytes from offset 0 of ``source`` to offset 0 of ``target`` (positions
    untouched): in the kernel where it can (``copy_file_range``), else through a buffer. Return
    how many bytes were copied: fewer if the source is shorter than said."""
    copied = 0
    try:
        while copied < size and (done := os.copy_file_range(source, target, size - copied, copied, copied)):
            copied += done
        return copied
    except OSError:  # another filesystem or an older kernel: the plain way, from where it stopped
        pass
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    while copied < size and (read := os.preadv(source, [view[:size - copied]], copied)):
        written = 0
        while written < read:
            written += os.pwrite(target, view[written:read], copied + written)
        copied += read
    return copied


def start_prefix_copy(source: IO[bytes], output: IO[bytes], algorithm: str,
                      checkpoints: Sequence[int] = ()) -> PrefixCopy | None:
    """Start copying and hashing ``source`` whole into ``output`` (a file that is empty and that
    nothing writes until the writer does); None where either is not a file or hashlib lacks
    ``algorithm``. Give it to the writer (``prefix_copy``), whose ``finish_prefix_copy`` must
    follow, success or not."""
    algorithm = algorithm.lower()
    if algorithm not in _HASHLIB:
        return None
    try:
        fds = source.fileno(), output.fileno()
        if output.tell() != 0 or os.fstat(fds[1]).st_size != 0 or os.fstat(fds[0]).st_size < THREADED_FROM:
            return None
    except (AttributeError, OSError, ValueError):  # an in-memory stream
        return None
    return PrefixCopy(*fds, algorithm, checkpoints)


class PrefixDigestWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer whose copy of the original revision can start early.

    After a write into the file ``prefix_copy`` copies into, ``prefix_hashed`` is how many
    bytes from its start ``prefix_copy.digest`` holds; None when the copy was not used."""

    prefix_copy: PrefixCopy | None = None
    prefix_hashed: int | None = None
    # Once ``fill`` used the copy: its length, the digest of those bytes as written (a copy of the
    # hash object, before the signature's digest goes on) and its checkpoints; for whoever names
    # the finished file (PyHankoPdfSigning.sign_file_digested).
    prefix_state: tuple[int, Any, dict[int, str]] | None = None

    def finish_prefix_copy(self) -> None:
        if self.prefix_copy is not None:
            self.prefix_copy.wait()

    def _write_header(self, stream: IO[bytes]) -> None:
        copy, self.prefix_hashed = self.prefix_copy, None
        if copy is not None and _is_file(stream, copy.target) and stream.tell() == 0:
            size = copy.result()
            stream.seek(size)
            self.prefix_hashed = size
            return
        if copy is not None:
            copy.wait()  # not used, but it must not write into a file pyHanko writes too
        super()._write_header(stream)


def _is_file(stream: IO[bytes], fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        return False


def fill(self: PdfByteRangeDigest, writer: Any, md_algorithm: str, in_place: bool = False, output: Any = None,
         chunk_size: int = misc.DEFAULT_CHUNK_SIZE) -> Generator[Any, Any, Any]:
    """``PdfByteRangeDigest.fill`` (a generator coroutine, as pyHanko's), whose digest starts
    from the original revision the writer's prefix copy hashed."""
    get_pyca_cryptography_hash(md_algorithm)  # an unknown algorithm fails as in pyHanko
    copy = writer.prefix_copy if isinstance(writer, PrefixDigestWriter) else None
    if in_place or copy is None or copy.algorithm != md_algorithm.lower():
        return (yield from ORIGINAL_FILL(self, writer, md_algorithm, in_place=in_place, output=output,
                                         chunk_size=chunk_size))
    writer.digest_aware_write = True
    output = misc.prepare_rw_output_stream(output)
    writer.write(output)
    hashed = writer.prefix_hashed

    # As pyHanko: now that the update is written, the /ByteRange gets its real values.
    eof = output.tell()
    sig_start, sig_end = self.contents.offsets
    self.byte_range.fill_offsets(output, sig_start, sig_end, eof)

    digest = copy.digest
    writer.prefix_copy = None  # its digest is this signature's: a later write copies afresh
    if hashed is None or hashed > sig_start:  # the copy went elsewhere: the whole range, as pyHanko
        digest, hashed = hashlib.new(copy.algorithm), 0
    else:
        writer.prefix_state = (hashed, digest.copy(), dict(copy.checkpoints))
    buffer = bytearray(chunk_size)
    output.seek(hashed)
    misc.chunked_digest(buffer, output, digest, max_read=sig_start - hashed)
    output.seek(sig_end)
    misc.chunked_digest(buffer, output, digest, max_read=eof - sig_end)

    prepared = PreparedByteRangeDigest(document_digest=digest.digest(), reserved_region_start=sig_start,
                                       reserved_region_end=sig_end)
    cms_data = yield prepared, output
    yield prepared.fill_with_cms(output, cms_data)


def apply() -> None:
    """Install ``fill`` (idempotent: the same function each time)."""
    PdfByteRangeDigest.fill = fill  # type: ignore[method-assign]
