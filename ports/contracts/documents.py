"""Contract of the DocumentStore port (ports/documents.py).

Subclass ``DocumentStoreContract`` once per adapter and implement ``make_adapter`` (an empty
store; two calls in one test may return two handles on the same storage or the same object).
Plain asserts, no test framework needed.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import threading
from pathlib import Path

from domain.model.document import DocumentRef
from domain.model.errors import NotFound
from ports.documents import DocumentStore

PDF = b"%PDF-1.7\n% a pretend document, bytes are bytes here\n%%EOF\n"


class DocumentStoreContract:
    def make_adapter(self) -> DocumentStore:
        raise NotImplementedError

    def test_conforms_to_the_port(self) -> None:
        assert isinstance(self.make_adapter(), DocumentStore)

    def test_put_returns_the_sha256_and_size_of_the_content(self) -> None:
        ref = self.make_adapter().put(PDF)
        assert ref == DocumentRef(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))

    def test_what_was_put_reads_back_byte_for_byte(self) -> None:
        store = self.make_adapter()
        ref = store.put(PDF)
        assert store.read(ref.sha256) == PDF
        with store.open(ref.sha256) as handle:
            assert handle.read() == PDF

    def test_put_accepts_a_binary_file_object(self) -> None:
        store = self.make_adapter()
        big = bytes(range(256)) * 20_000  # several chunks
        ref = store.put(io.BytesIO(big))
        assert ref.size == len(big)
        assert store.read(ref.sha256) == big

    def test_the_same_content_is_stored_once_under_the_same_reference(self) -> None:
        store = self.make_adapter()
        first = store.put(PDF)
        second = store.put(io.BytesIO(PDF))
        assert first == second
        assert store.read(first.sha256) == PDF

    def test_different_content_gets_different_references(self) -> None:
        store = self.make_adapter()
        assert store.put(PDF).sha256 != store.put(PDF + b" ").sha256

    def test_empty_content_is_storable(self) -> None:
        store = self.make_adapter()
        ref = store.put(b"")
        assert ref.size == 0 and store.read(ref.sha256) == b""

    def test_exists_tells_whether_the_content_is_stored(self) -> None:
        store = self.make_adapter()
        absent = hashlib.sha256(b"never stored").hexdigest()
        ref = store.put(PDF)
        assert store.exists(ref.sha256)
        assert not store.exists(absent)

    def test_reading_what_is_absent_is_not_found(self) -> None:
        store = self.make_adapter()
        absent = hashlib.sha256(b"never stored").hexdigest()
        for attempt in (store.read, store.open):
            try:
                attempt(absent)
            except NotFound:
                pass
            else:
                raise AssertionError(f"{attempt.__name__} of an absent document must raise NotFound")

    def test_delete_forgets_the_content_and_is_idempotent(self) -> None:
        store = self.make_adapter()
        ref = store.put(PDF)
        other = store.put(b"%PDF-1.4 another")
        store.delete(ref.sha256)
        store.delete(ref.sha256)
        assert not store.exists(ref.sha256)
        assert store.exists(other.sha256)

    def test_content_can_be_put_again_after_delete(self) -> None:
        store = self.make_adapter()
        ref = store.put(PDF)
        store.delete(ref.sha256)
        assert store.put(PDF) == ref
        assert store.read(ref.sha256) == PDF

    def test_concurrent_puts_of_the_same_content_all_succeed(self) -> None:
        store = self.make_adapter()
        content = PDF * 1000
        refs: list[DocumentRef] = []
        errors: list[BaseException] = []

        def put() -> None:
            try:
                refs.append(store.put(content))
            except BaseException as exc:  # noqa: BLE001 - reported by the assert below
                errors.append(exc)

        threads = [threading.Thread(target=put) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len(set(refs)) == 1
        assert store.read(refs[0].sha256) == content

    def test_put_file_stores_the_file_and_takes_it_over(self) -> None:
        store = self.make_adapter()
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "signed.pdf"
            path.write_bytes(PDF)
            ref = store.put_file(path)
            assert ref == DocumentRef(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))
            assert not path.exists()
        assert store.read(ref.sha256) == PDF

    def test_put_file_with_the_callers_reference_stores_under_it(self) -> None:
        store = self.make_adapter()
        known = DocumentRef(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "signed.pdf"
            path.write_bytes(PDF)
            assert store.put_file(path, known) == known
            assert not path.exists()
        assert store.read(known.sha256) == PDF

    def test_put_file_of_content_already_stored_keeps_one_copy_and_removes_the_file(self) -> None:
        store = self.make_adapter()
        ref = store.put(PDF)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "again.pdf"
            path.write_bytes(PDF)
            assert store.put_file(path) == ref
            assert not path.exists()
        assert store.read(ref.sha256) == PDF

    def test_put_file_refuses_a_reference_that_does_not_fit_the_file(self) -> None:
        store = self.make_adapter()
        wrong = DocumentRef(sha256=hashlib.sha256(PDF + b" ").hexdigest(), size=len(PDF) + 1)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "signed.pdf"
            path.write_bytes(PDF)
            try:
                store.put_file(path, wrong)
            except ValueError:
                pass
            else:
                raise AssertionError("a reference that does not fit the file must be refused")
            assert not path.exists()
        assert not store.exists(wrong.sha256)

    def test_a_lent_file_holds_the_document_and_the_store_keeps_it(self) -> None:
        store = self.make_adapter()
        big = bytes(range(256)) * 20_000  # several chunks
        ref = store.put(big)
        with tempfile.TemporaryDirectory() as scratch:
            with store.lend(ref.sha256, Path(scratch)) as path:
                assert Path(path).read_bytes() == big
            leftovers = list(Path(scratch).iterdir())
            assert leftovers == [], "a copy made for the loan is removed at its end"
        assert store.read(ref.sha256) == big

    def test_lending_what_is_absent_is_not_found(self) -> None:
        store = self.make_adapter()
        absent = hashlib.sha256(b"never stored").hexdigest()
        try:
            with store.lend(absent):
                raise AssertionError("nothing to lend")
        except NotFound:
            pass
        else:
            raise AssertionError("lending an absent document must raise NotFound")

    def test_put_file_asks_a_reference_function_once_and_stores_nothing_if_it_fails(self) -> None:
        store = self.make_adapter()
        known = DocumentRef(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF))
        calls: list[int] = []

        def computed() -> DocumentRef:
            calls.append(1)
            return known

        def failing() -> DocumentRef:
            raise RuntimeError("the caller's check failed")

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "signed.pdf"
            path.write_bytes(PDF)
            try:
                store.put_file(path, failing)
            except RuntimeError:
                pass
            else:
                raise AssertionError("the function's failure must reach the caller")
            assert not path.exists()
            assert not store.exists(known.sha256)
            path.write_bytes(PDF)
            assert store.put_file(path, computed) == known
            assert calls == [1]
        assert store.read(known.sha256) == PDF
