"""SEING_REMOTE_SIGNING and SEING_REMOTE_SIGNING_CABINETS: which cabinets sign level 3 at the QTSP."""

from __future__ import annotations

import pytest

from adapters.csc import CscRemoteSigning
from entrypoints.composition.remote_signing_config import remote_signing_routes
from entrypoints.settings import ConfigurationError, Settings


def _settings(tmp_path, **values) -> Settings:
    return Settings(data_dir=tmp_path, **values)


def test_no_remote_signing_by_default_every_cabinet_keeps_our_qcp(tmp_path):
    routes = remote_signing_routes(_settings(tmp_path), clock=None)
    assert routes.service is None and routes.for_cabinet("732829320") is None


def test_only_the_cabinets_named_go_through_the_qtsp(tmp_path):
    routes = remote_signing_routes(_settings(tmp_path, remote_signing="csc", remote_signing_cabinets="732829320, 552100554",
                                             remote_signing_options={"url": "https://qtsp.example/csc/v2"}), clock=None)
    assert isinstance(routes.for_cabinet("552100554"), CscRemoteSigning)
    assert routes.for_cabinet("732829320") is routes.service
    assert routes.for_cabinet("443061841") is None


def test_a_star_sends_every_cabinet_to_the_qtsp(tmp_path):
    routes = remote_signing_routes(_settings(tmp_path, remote_signing="csc", remote_signing_cabinets="*",
                                             remote_signing_options={"url": "https://qtsp.example/csc/v2"}), clock=None)
    assert routes.for_cabinet("443061841") is routes.service


@pytest.mark.parametrize("values,named", [
    (dict(remote_signing="csc", remote_signing_options={"url": "https://q.example"}), "SEING_REMOTE_SIGNING_CABINETS"),
    (dict(remote_signing_cabinets="732829320"), "SEING_REMOTE_SIGNING"),
    (dict(remote_signing="csc", remote_signing_cabinets="*"), "url"),
    (dict(remote_signing="hsm-cloud", remote_signing_cabinets="*"), "installed: csc"),
])
def test_a_half_given_configuration_stops_the_start_naming_what_is_missing(tmp_path, values, named):
    with pytest.raises(ConfigurationError, match=named):
        remote_signing_routes(_settings(tmp_path, **values), clock=None)


def test_the_container_gives_the_ceremony_the_routes(tmp_path):
    from entrypoints.composition.container import build_container

    container = build_container(_settings(tmp_path, remote_signing="csc", remote_signing_cabinets="732829320",
                                          remote_signing_options={"url": "https://qtsp.example/csc/v2"}), fakes=True)
    assert container.adapters.remote_signing().for_cabinet("732829320") is not None
