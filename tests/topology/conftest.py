import pytest


@pytest.fixture(autouse=True)
def fresh_topology_graph(settings):
    """Database ids repeat across tests; never let one test see another's cached graph."""
    settings.TOPOLOGY_GRAPH_CACHE_SECONDS = 0
