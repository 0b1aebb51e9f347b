"""Signing benchmark: our PdfSigning port against raw pyHanko defaults and the floor.

Run: ``python -m bench.bench_signing [--keys ec-p256,rsa-3072] [--repeat 7]``.

On the same generated PDFs (1 page; 20 pages ≈ 1 MB; 200 pages ≈ 10 MB) it measures:
- ours at B-B, B-T, B-LT (``PyHankoPdfSigning.sign_file``, file to file);
- raw pyHanko with its default settings (``SimpleSigner`` loaded once, ``sign_pdf``
  without ``bytes_reserved``) at B-B and B-T, with the same key type and the same TSA;
- the floor: SHA-256 of the file plus one private-key operation.
It prints medians with min-max, ratios to raw pyHanko and to the floor, and the peak of
Python allocations (tracemalloc) during one extra run of each case.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps.api import TimeStamper

from adapters.signing.ca_revocation import CaRevocationSource
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from adapters.timestamping.inprocess import InProcessTimestampAuthority
from domain.model.pki import KeyType
from ports.pdf_signing import PadesLevel, SignatureRequest
from tests.signing.pdfs import pdf_file
from tests.signing.pki_server import SigningPki

FILES = [("1 page", 1, 2_000), ("20 pages", 20, 50_000), ("200 pages", 200, 50_000)]


class _Clock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class _RawTsaClient(TimeStamper):
    """pyHanko's own request/response path (nonce, TimeStampReq) against the in-process
    TSA's RFC 3161 responder, so raw pyHanko and our port pay the same TSA cost."""

    def __init__(self, responder: InProcessTimestampAuthority) -> None:
        super().__init__()
        self._responder = responder

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._responder.respond(req.dump()))


def _peak_mib(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(key_types: list[str], repeat: int, workdir: Path) -> None:
    # The built-in CA on the in-memory vault; its URLs only appear in certificates.
    pki = SigningPki(workdir / "pki", "http://127.0.0.1:9")
    vault = pki.vault
    tsa = InProcessTimestampAuthority(
        vault=vault, key_ref=pki.tsa.key_ref, certificate=pki.tsa.der, chain=pki.tsa_chain, clock=_Clock()
    )
    ours = PyHankoPdfSigning(vault=vault, timestamp_authority=tsa, revocation_source=CaRevocationSource(pki.ca),
                             clock=_Clock())
    files = []
    for label, pages, per_page in FILES:
        path = pdf_file(workdir / f"{pages}p.pdf", pages=pages, bytes_per_page=per_page)
        files.append((label, path))
    out = workdir / "out.pdf"

    print(f"Python {sys.version.split()[0]}, pyHanko {_pyhanko_version()}, repeat={repeat}, load average {os.getloadavg()[0]:.1f}")
    header = f"{'key':9} {'file':10} {'size':>8} {'case':14} {'median ms':>10} {'min-max ms':>16} {'x raw':>6} {'x floor':>8} {'peak MiB':>9}"
    print(header)
    print("-" * len(header))
    for key_type in key_types:
        signer_cert = pki.issue_signer("Bench", "Signataire", KeyType(key_type))
        identity = pki.identity(signer_cert)
        # Raw pyHanko and the floor need the key object itself; the in-memory vault is
        # the only one that could hand it out, and only this benchmark asks.
        key = vault._keys[signer_cert.key_ref.id][1]
        # Raw pyHanko loads its key the documented way: from PEM/DER files, once.
        key_file = workdir / f"{key_type}.key.pem"
        key_file.write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        cert_file = workdir / f"{key_type}.crt.pem"
        cert_file.write_bytes(signer_cert.cert.public_bytes(serialization.Encoding.PEM))
        chain_files = []
        for i, der in enumerate(identity.chain):
            p = workdir / f"ca{i}.der"
            p.write_bytes(der)
            chain_files.append(str(p))
        raw_signer = signers.SimpleSigner.load(str(key_file), str(cert_file), ca_chain_files=chain_files)
        raw_tsa = _RawTsaClient(tsa)

        def floor(path: Path, key: object = key) -> None:
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            if isinstance(key, ec.EllipticCurvePrivateKey):
                key.sign(digest.digest(), ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            else:
                key.sign(digest.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

        def raw(path: Path, timestamper: TimeStamper | None, raw_signer: object = raw_signer) -> None:
            with open(path, "rb") as infile, open(out, "wb") as outfile:
                writer = IncrementalPdfFileWriter(infile)
                signers.sign_pdf(
                    writer,
                    signers.PdfSignatureMetadata(field_name="Signature1"),
                    signer=raw_signer,
                    timestamper=timestamper,
                    output=outfile,
                )

        def our(path: Path, level: PadesLevel, identity: object = identity) -> None:
            ours.sign_file(path, out, SignatureRequest(identity=identity, level=level))

        for label, path in files:
            size = path.stat().st_size
            cases: list[tuple[str, Callable[[], object]]] = [
                ("floor", lambda path=path: floor(path)),
                ("raw B-B", lambda path=path: raw(path, None)),
                ("raw B-T", lambda path=path, raw_tsa=raw_tsa: raw(path, raw_tsa)),
                ("ours B-B", lambda path=path: our(path, PadesLevel.B_B)),
                ("ours B-T", lambda path=path: our(path, PadesLevel.B_T)),
                ("ours B-LT", lambda path=path: our(path, PadesLevel.B_LT)),
            ]
            # Round-robin: each repetition runs every case once, so a burst of load on
            # the machine hits all cases alike instead of skewing one of them.
            samples_by_case: dict[str, list[float]] = {name: [] for name, _ in cases}
            for _, fn in cases:
                fn()  # warm-up: imports, caches, the TSA certificate lookup
            for _ in range(repeat):
                for name, fn in cases:
                    gc.collect()
                    start = time.perf_counter()
                    fn()
                    samples_by_case[name].append(time.perf_counter() - start)
            medians = {name: statistics.median(samples) for name, samples in samples_by_case.items()}
            for name, fn in cases:
                samples = samples_by_case[name]
                med = medians[name]
                peak = _peak_mib(fn)
                raw_ref = {"ours B-B": "raw B-B", "ours B-T": "raw B-T"}.get(name)
                x_raw = f"{med / medians[raw_ref]:.2f}" if raw_ref else ""
                x_floor = f"{med / medians['floor']:.1f}" if name != "floor" else ""
                print(
                    f"{key_type:9} {label:10} {size / 2**20:7.2f}M {name:14} {med * 1000:10.1f} "
                    f"{min(samples) * 1000:7.1f}-{max(samples) * 1000:<8.1f} {x_raw:>6} {x_floor:>8} {peak:9.1f}"
                )
            ok_raw = medians["ours B-B"] <= 0.5 * medians["raw B-B"]
            verdict = f"  target ours B-B <= 0.5x raw B-B: {'met' if ok_raw else 'NOT met'}"
            if label == "200 pages":
                ok_floor = medians["ours B-B"] <= 5 * medians["floor"]
                verdict += f"; ours B-B <= 5x floor: {'met' if ok_floor else 'NOT met'}"
            print(verdict)


def _pyhanko_version() -> str:
    from importlib.metadata import version

    return version("pyHanko")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", default="ec-p256,rsa-3072", help="comma-separated key types")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="seing-bench-") as workdir:
        run(args.keys.split(","), args.repeat, Path(workdir))


if __name__ == "__main__":
    main()
