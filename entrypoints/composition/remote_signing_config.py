"""Which cabinets sign level 3 with a QTSP's remote keys (the CSC API), from the configuration.

``SEING_REMOTE_SIGNING`` names a provider of ``seing.remote_signing_services`` (built in: ``csc``),
its options come from ``SEING_REMOTE_SIGNING_OPTION_<NAME>`` or ``[seing.remote_signing_options]``,
and ``SEING_REMOTE_SIGNING_CABINETS`` lists the cabinets' SIRENs (or ``*``). Every other cabinet
keeps the built-in CA's QCP-n certificates. A half-given configuration stops the start.
"""

from __future__ import annotations

from adapters.plugins import ProviderUnknown, load_provider
from entrypoints.settings import ConfigurationError, Settings
from ports.providers import ProviderConfig
from ports.remote_signing import RemoteSigningRoutes

GROUP = "seing.remote_signing_services"


def remote_signing_routes(settings: Settings, clock: object) -> RemoteSigningRoutes:
    named = [s.strip() for s in settings.remote_signing_cabinets.split(",") if s.strip()]
    if not settings.remote_signing:
        if named:
            raise ConfigurationError("SEING_REMOTE_SIGNING_CABINETS names cabinets but SEING_REMOTE_SIGNING "
                                     "names no remote signing service (csc)")
        return RemoteSigningRoutes()
    if not named:
        raise ConfigurationError("SEING_REMOTE_SIGNING is set: SEING_REMOTE_SIGNING_CABINETS must name the "
                                 "cabinets (SIRENs, comma-separated, or *) whose level 3 goes through it")
    config = ProviderConfig(clock=clock, data_dir=settings.data_dir.resolve(),  # type: ignore[arg-type]
                            public_url=settings.resolved_public_url, options=settings.remote_signing_options)
    try:
        service = load_provider(GROUP, settings.remote_signing, config)
    except ProviderUnknown as error:
        raise ConfigurationError(f"invalid value for SEING_REMOTE_SIGNING: {error}") from None
    except ValueError as error:
        raise ConfigurationError(f"SEING_REMOTE_SIGNING={settings.remote_signing}: {error} "
                                 "(SEING_REMOTE_SIGNING_OPTION_<NAME>)") from None
    return RemoteSigningRoutes(service=service, cabinets=frozenset(n for n in named if n != "*"),
                               every_cabinet="*" in named)
