"""How a use case gets its ports: by the declared type of each parameter, never by its name.

Parameter names are local to a use case (``verifier`` is an ``IdentityVerifier`` in one module
and a ``SignatureVerifier`` in another), so the container reads each keyword parameter's
annotation and binds the one provider registered for that type. A unit of work is asked for
as a factory, ``Callable[[], UnitOfWork]`` (any port protocol as the result): every such
factory gets the container's unit-of-work provider. Plain settings (a ``str`` or an ``int``)
have no type of their own and are passed explicitly, use case by use case.

A parameter annotated with a port the registry does not know stops the import: a use case
cannot silently turn a port into an input its callers would have to pass.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import Any, Callable, Mapping

from dependency_injector import providers

__all__ = ["PortBindings", "UnboundPort", "is_port", "required", "unit_of_work_type"]


class UnboundPort(TypeError):
    """A use case asks for a port no provider is registered for."""


def required(hint: object) -> object:
    """``X`` for ``X | None`` (a port a use case can do without is still given when we have it)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return hint


def unit_of_work_type(hint: object) -> type | None:
    """``SomeWork`` when ``hint`` is ``Callable[[], SomeWork]`` with ``SomeWork`` a port, else None."""
    if typing.get_origin(hint) is not collections.abc.Callable:
        return None
    arguments, result = typing.get_args(hint)
    if arguments == [] and isinstance(result, type) and _in_ports(result):
        return result
    return None


def is_port(hint: object) -> bool:
    """A type the composition root must provide: a port protocol, or a unit-of-work factory."""
    return (isinstance(hint, type) and _in_ports(hint)) or unit_of_work_type(hint) is not None


def _in_ports(kind: type) -> bool:
    return kind.__module__ == "ports" or kind.__module__.startswith("ports.")


_BINDABLE = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class PortBindings:
    """The providers of the container, keyed by the type they provide."""

    def __init__(self, by_type: Mapping[type, providers.Provider], *, unit_of_work: providers.Provider) -> None:
        self.by_type = dict(by_type)
        self.unit_of_work = unit_of_work

    def provider_for(self, hint: object) -> providers.Provider | None:
        hint = required(hint)
        if unit_of_work_type(hint) is not None:
            return self.unit_of_work
        return self.by_type.get(hint) if isinstance(hint, type) else None

    def bind(self, function: Callable[..., Any], **explicit: providers.Provider) -> providers.Callable:
        """``function`` with every typed port (and the ``explicit`` settings) bound; callers pass
        the business inputs as keywords."""
        hints = typing.get_type_hints(function)
        parameters = inspect.signature(function).parameters
        unknown = set(explicit) - set(parameters)
        if unknown:
            raise UnboundPort(f"{function.__qualname__} has no parameter {', '.join(sorted(unknown))}")
        bound: dict[str, providers.Provider] = dict(explicit)
        for name, parameter in parameters.items():
            if name in bound or parameter.kind not in _BINDABLE:
                continue
            hint = hints.get(name)
            provider = self.provider_for(hint)
            if provider is not None:
                bound[name] = provider
            elif is_port(required(hint)):
                raise UnboundPort(f"{function.__module__}.{function.__qualname__}: no provider for "
                                  f"{name}: {getattr(hint, '__name__', hint)}")
        return providers.Callable(function, **bound)
