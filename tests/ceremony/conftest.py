from tests.services.conftest import PASSWORD, cabinet, clock, container, sent, uc  # noqa: F401
