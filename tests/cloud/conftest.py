"""A second embedded cloud for the robustness tests, which abuse it (fuzzed requests, stalled clients, resets)."""
from __future__ import annotations

import pytest

from tests.conftest import spawn_cloud, stop_spawned

#: The scratch cloud drops a stalled body after this many seconds (the default is S3's 20 s).
SCRATCH_BODY_TIMEOUT_S = 2.0


@pytest.fixture(scope="session")
def scratch_cloud(tmp_path_factory) -> str:
    """A cloud of its own, in virtual time, with a short body timeout; its URL."""
    home = str(tmp_path_factory.mktemp("scratch-home"))
    proc, url = spawn_cloud(home, AWSLAB_SIM_MODE="virtual", AWSLAB_BODY_TIMEOUT_S=str(SCRATCH_BODY_TIMEOUT_S))
    yield url
    stop_spawned(proc)
