"""Use cases get their ports by the type each parameter declares, never by its name."""

from __future__ import annotations

import typing
from typing import Any, Generic, Protocol

import pytest

from domain.services import identity_checks, verification
from entrypoints.composition.bindings import PortBindings, UnboundPort, is_port, required, unit_of_work_type
from entrypoints.composition.container import BoundUseCases, build_container
from entrypoints.composition.use_cases import UseCases
from entrypoints.settings import Settings
from ports.clock import Clock
from ports.jobs import JobStore


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    return build_container(Settings(data_dir=tmp_path_factory.mktemp("bindings"), dev_mode=True), fakes=True)


def _members(kind: type) -> set[str]:
    """What a protocol promises (its public methods and attributes, inherited ones included)."""
    return {name for cls in kind.__mro__ if cls not in (object, Protocol, Generic)
            for name in (*vars(cls), *getattr(cls, "__annotations__", {})) if not name.startswith("_")}


def _conforms(value: object, kind: type) -> bool:
    if getattr(kind, "_is_protocol", False):
        return all(hasattr(value, name) for name in _members(kind))
    return isinstance(value, kind)


def _port_parameters(function: Any) -> dict[str, object]:
    hints = typing.get_type_hints(function)
    wanted = {name: required(hint) for name, hint in hints.items() if name != "return"}
    return {name: hint for name, hint in wanted.items() if is_port(hint) or hint in BoundUseCases.ports.by_type}


def test_every_port_a_use_case_declares_is_bound_to_an_object_of_that_type(container):
    checked = 0
    for name, slot in UseCases.use_cases().items():
        provider = getattr(container.use_cases, name)
        assert provider.provides is slot.function, name
        for parameter, hint in _port_parameters(slot.function).items():
            assert parameter in provider.kwargs, f"{name}: port {parameter} is not bound"
            value = provider.kwargs[parameter]()
            work = unit_of_work_type(hint)
            if work is not None:  # a factory of units of work: the unit it opens has the repositories
                with value() as unit:
                    assert _conforms(unit, work), f"{name}: {parameter} opens no {work.__name__}"
            else:
                assert _conforms(value, hint), f"{name}: {parameter} is a {type(value).__name__}, not a {hint}"
            checked += 1
    assert checked > 300  # every use case was looked at, not an empty facade


def test_a_port_with_no_provider_stops_the_binding():
    def record(*, clock: Clock, jobs: JobStore, note: str) -> None:
        raise AssertionError("never called")

    bindings = PortBindings({Clock: BoundUseCases.ports.by_type[Clock]}, unit_of_work=BoundUseCases.ports.unit_of_work)
    with pytest.raises(UnboundPort, match="jobs: JobStore"):
        bindings.bind(record)


def test_a_parameter_name_shared_by_two_ports_gets_the_port_its_type_names(container):
    """``verifier`` is an IdentityVerifier for the LCP identity check and a SignatureVerifier for
    « Vérifier un document »: binding by name gave one of them the wrong object."""
    identity = BoundUseCases.ports.bind(identity_checks.start_lcp_identity_check)
    signatures = BoundUseCases.ports.bind(verification.verify_pdf)
    assert identity.kwargs["verifier"] is BoundUseCases.adapters.identity_verifier
    assert signatures.kwargs["verifier"] is BoundUseCases.adapters.signature_verifier
    assert "policy" in identity.kwargs  # LcpIdentityCheckPolicy, by type too


def test_a_port_a_use_case_can_do_without_is_still_given(container):
    """``read_original(clock: Clock | None)``: without the clock a download could not be recorded."""
    assert container.use_cases.read_collection_original.kwargs["clock"]() is container.adapters.clock()


def test_settings_with_no_type_of_their_own_are_given_to_the_use_cases_that_take_them(container):
    assert container.use_cases.apply_retention.kwargs["document_retention_days"]() == 30
    assert container.use_cases.accept_lcp_terms_and_issue.kwargs["current_terms_version"]() == \
        container.settings().lcp_terms_version


def test_the_facade_gives_handlers_every_use_case_and_what_pages_need_typed(container):
    facade = container.facade()
    assert facade.login is container.use_cases.login
    for name, slot in UseCases.provided().items():
        value = getattr(facade, name)()
        if value is None:
            assert slot.optional, name
        else:
            assert _conforms(value, slot.kind), name
    assert facade.capture_host() is not None  # the fakes' simulator hosts the capture pages
    assert facade.identity_simulator() is not None  # dev mode
