"""What /verifier spends on a three-signer PDF (levels 1 to 3, B-LTA), with and without the cached
comparisons of distinguished names (adapters/shared/asn1_names.py: relative names and whole names,
both switched off for the baseline), both measured in this
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


def _use(layers: tuple[object, object, object]) -> None:
    x509.RelativeDistinguishedName._get_values, x509.Name.__eq__, x509.Name.hashable = layers  # type: ignore[method-assign,assignment]


def _median(world: Ceremony, pdf: bytes, layers: tuple[object, object, object], rounds: int = 7) -> tuple[float, float]:
    _use(layers)
    cpu, wall = [], []
    for _ in range(rounds):
        c, w = time.process_time(), time.perf_counter()
        world.uc.verify_pdf(content=pdf)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    world, server, pdf = _signed_pdf()
    rdn, name = x509.RelativeDistinguishedName, x509.Name
    cached = (rdn._get_values, name.__eq__, name.hashable)
    uncached = (rdn._seing_uncached_values, name._seing_uncached_eq, name._seing_uncached_hashable)  # type: ignore[attr-defined]
    try:
        for round_ in range(3):
            b = _median(world, pdf, uncached)
            a = _median(world, pdf, cached)
            print(f"round {round_}: uncached names cpu {b[0]:.0f} ms wall {b[1]:.0f} ms | cached cpu {a[0]:.0f} ms "
                  f"wall {a[1]:.0f} ms | cpu ratio {a[0] / b[0]:.2f}")
    finally:
        _use(cached)
        server.stop()


if __name__ == "__main__":
    main()
