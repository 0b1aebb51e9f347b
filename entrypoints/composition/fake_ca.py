"""The built-in CA as the fakes give it: a ready hierarchy, generated once per process and shape.

Creating the hierarchy (three CAs, OCSP responders, the TSA and the seal, their CRLs) costs
about a tenth of a second, and the fakes were doing it for almost every test. A hierarchy made
at the same clock instant with the same public URL and CA settings is the same hierarchy but
for its random keys and serials, so the first one is kept as a template: later containers get a
copy of its files and of its keys in their own in-memory vault, and then live apart (what one
issues or revokes, another never sees). A clock at another instant, or a vault that is not the
in-memory one, gets a hierarchy of its own, created as before.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from adapters.ca.builtin import BuiltinCaSettings, BuiltinCertificateAuthority
from adapters.memory.keyvault import InMemoryKeyVault
from ports.clock import Clock

__all__ = ["initialised_ca"]

_KEPT = 8
_lock = threading.Lock()
_templates: dict[tuple[str, BuiltinCaSettings, object], tuple[Path, InMemoryKeyVault]] = {}


def _template_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="seing-ca-template-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def initialised_ca(vault: object, pki_dir: Path, public_url: str, clock: Clock,
                   settings: BuiltinCaSettings) -> BuiltinCertificateAuthority:
    ca = BuiltinCertificateAuthority(vault, pki_dir, public_url, clock=clock, settings=settings)  # type: ignore[arg-type]
    if not isinstance(vault, InMemoryKeyVault) or pki_dir.exists():
        ca.init_hierarchy()
        return ca
    key = (public_url, settings, clock.now())
    with _lock:
        template = _templates.get(key)
        if template is not None:
            folder, keys = template
            shutil.copytree(folder, pki_dir)
            vault.adopt_keys(keys)
            return ca
        before = set(vault.key_ids())
        ca.init_hierarchy()
        folder = _template_dir() / "pki"
        shutil.copytree(pki_dir, folder)
        _templates[key] = (folder, vault.only(set(vault.key_ids()) - before))
        while len(_templates) > _KEPT:  # tests on a clock of their own each make a new shape
            stale, _ = _templates.pop(next(iter(_templates)))
            shutil.rmtree(stale.parent, ignore_errors=True)
    return ca
