"""deploy/jupyterhub's configuration as shipped, plus one test-only service that can reach students' servers.

The shipped ``awslab-instructor`` service may list, start and stop servers, and no more: it cannot mint a
token for a student nor read the proxy's routes, and a class should keep it that way. To run a lab inside a
student's server through the Hub's REST API, the tests (and bench/bench_class.py) add a second service,
``awslab-test-runner``, whose token (``AWSLAB_HUB_TEST_RUNNER_TOKEN``) may:

- ``tokens``: mint a token *for a student* (``POST /hub/api/users/<name>/tokens``); the token is asked for
  with the one scope ``access:servers!user=<name>``, so it reaches that student's server and nothing else;
- ``proxy``: read the proxy's routes (``GET /hub/api/proxy``), to find where ``/user/<name>/`` goes (the
  in-memory proxy of the tests proxies nothing, so the client talks to that target directly).

Run: ``jupyterhub -f tests/classroom/hub_test_config.py`` (tests/classroom/test_hub.py ``start_hub`` does).
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub provides it
SHIPPED = Path(__file__).resolve().parents[2] / "deploy" / "jupyterhub" / "jupyterhub_config.py"
load_subconfig(str(SHIPPED))  # noqa: F821 - JupyterHub's config loader provides it

RUNNER = "awslab-test-runner"
c.JupyterHub.services.append({"name": RUNNER, "api_token": os.environ["AWSLAB_HUB_TEST_RUNNER_TOKEN"]})
c.JupyterHub.load_roles.append({"name": RUNNER, "services": [RUNNER], "scopes": ["tokens", "proxy"]})
