"""What /verifier spends on a three-signer PDF (levels 1 to 3, B-LTA), with and without the cached
comparison of distinguished names (adapters/shared/asn1_names.py), both measured in this
run: `python -m bench.verifier`. CPU time is printed beside wall time: on a shared machine the
wall time mostly says how busy the other processes are.
"""

from __future__ import annotations

import datetime
import statistics
import tempfile
import time
from pathlib import Path

from asn1crypto import x509

from domain.model.collection import InvitationMode
from tests.ceremony.harness import Ceremony, three_signers
from tests.signing.pki_server import PkiHttpServer


def _signed_pdf() -> tuple[Ceremony, PkiHttpServer, bytes]:
    server = PkiHttpServer().start()
    world = Ceremony(Path(tempfile.mkdtemp()), public_url=server.base_url)
    server.pki = world
    cid = world.collection(three_signers(world), mode=InvitationMode.SEQUENTIAL, documents=1, observers=0)
    for email in ["claire@exemple.fr", "jessica@poussart.fr", "marc@exemple.fr"]:
        world.clock.advance(datetime.timedelta(seconds=5))
        world.sign_as(email, identity_check=email.startswith("marc"))
    world.run_jobs("finalise_collection")
    return world, server, world.document_bytes(cid)[0]


def _median(world: Ceremony, pdf: bytes, values: object, rounds: int = 7) -> tuple[float, float]:
    x509.RelativeDistinguishedName._get_values = values  # type: ignore[method-assign]
    cpu, wall = [], []
    for _ in range(rounds):
        c, w = time.process_time(), time.perf_counter()
        world.uc.verify_pdf(content=pdf)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    world, server, pdf = _signed_pdf()
    rdn = x509.RelativeDistinguishedName
    cached, uncached = rdn._get_values, rdn._seing_uncached_values  # type: ignore[attr-defined]
    try:
        for round_ in range(3):
            b = _median(world, pdf, uncached)
            a = _median(world, pdf, cached)
            print(f"round {round_}: uncached names cpu {b[0]:.0f} ms wall {b[1]:.0f} ms | cached cpu {a[0]:.0f} ms "
                  f"wall {a[1]:.0f} ms | cpu ratio {a[0] / b[0]:.2f}")
    finally:
        rdn._get_values = cached  # type: ignore[method-assign]
        server.stop()


if __name__ == "__main__":
    main()
