from tests.metrics.prometheus import prometheus  # noqa: F401 - the session fixture
