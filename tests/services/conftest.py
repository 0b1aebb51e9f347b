import pytest

from entrypoints.composition.container import build_container
from entrypoints.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def container(tmp_path):
    return build_container(Settings(data_dir=tmp_path), fakes=True)


@pytest.fixture
def uc(container):
    return container.use_cases


@pytest.fixture
def clock(container):
    return container.adapters.clock()


@pytest.fixture
def sent(container):
    """The notifications queued so far, as domain Notification records."""

    def read():
        jobs = container.adapters.job_store().list(limit=1000)
        return [j.spec.as_notification() for j in reversed(jobs) if j.spec.kind == "notify"]

    return read


@pytest.fixture
def cabinet(uc):
    return uc.create_cabinet(name="Cabinet Poussart", siren="732829320", owner_given_names="Jessica",
                             owner_surname="Poussart", owner_email="jessica@poussart.fr",
                             owner_mobile="06 24 00 00 13", password=PASSWORD)
