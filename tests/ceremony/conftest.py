from tests.services.conftest import cabinet, container, uc  # noqa: F401  (fixtures)
