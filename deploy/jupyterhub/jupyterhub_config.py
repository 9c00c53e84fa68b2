"""JupyterHub for an awslab class on one machine: each student's server with an embedded cloud of their own.

Run: ``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` (see README.md here). Settings by environment:

- ``AWSLAB_CLASS_ROOT``: where students' homes are made with the simple spawner (default ``/srv/awslab-class``);
  each student's AWSLAB_HOME is ``<home>/.awslab``.
- ``AWSLAB_CLASS_PORT_BASE``: student number k (the Hub's user id) gets cloud port base + k (default 26000: below
  Linux's ephemeral ports, 32768-60999, where the spawner picks each server's random port, and between the data
  plane's app port blocks, 80-15080 or 10080-25080, and its ALB listeners, 30000-31999).
- ``AWSLAB_HUB_SPAWNER``: ``isolated`` (the Hub as root: each student in a network namespace and a user id of
  their own, see awslab/classroom/spawner.py: the class setting), ``simple`` (every student as the Hub's own Unix
  user, separate homes: a demo, or a class in one container) or ``local`` (real Unix users, the Hub as root: files
  and processes per user, one shared loopback).
- ``AWSLAB_CLASS_NETWORK`` (default 10.213.0.0/16) and ``AWSLAB_CLASS_TAG`` (default ``awl``): with ``isolated``,
  the range of the Hub's API address and each student's /30, and the prefix of the class's namespaces.
- ``AWSLAB_HUB_AUTH``: ``dummy`` (any name, the shared password in ``AWSLAB_HUB_PASSWORD``: a demo only) or
  ``pam`` (the machine's accounts, the default: members of the Unix group ``AWSLAB_CLASS_GROUP``, default
  ``awslab-students``, may log in). ``AWSLAB_HUB_ADMINS``: the instructors' names, comma-separated.
- ``AWSLAB_CLASS_PYTHON``: the Python the students' servers run (default: the Hub's own); students' user ids
  must be able to run it, so not one under a private home such as /root.
- ``AWSLAB_CLASS_LANG``: the course's language, ``ko`` or ``en`` (default: the Hub machine's, as ``awslab up``'s): each student's server opens their
  copy of the course (``$AWSLAB_HOME/workspace``, made when they first log in) at ``labs/<lang>``.
- ``AWSLAB_HUB_PORT`` (default 8000), ``AWSLAB_HUB_API_TOKEN``: a token for the instructor's service
  ``awslab-instructor``, which may list, start and stop students' servers through the REST API.

Each server runs ``python -m awslab.classroom.student`` around ``jupyterhub-singleuser``: it makes the
student's access key (0600 in their AWSLAB_HOME), starts their cloud in class mode (AWSLAB_CLASS=1: only
their key's signature and their token are accepted), runs the server, and stops the cloud when it exits.
"""
import os
import subprocess
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub provides it

ROOT = Path(os.environ.get("AWSLAB_CLASS_ROOT", "/srv/awslab-class"))
PORT_BASE = int(os.environ.get("AWSLAB_CLASS_PORT_BASE", "26000"))

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ.get("AWSLAB_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.cleanup_servers = True  # the Hub stopping stops every student's server, and so their clouds
c.JupyterHub.db_url = f"sqlite:///{ROOT / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(ROOT / "jupyterhub_cookie_secret")

if os.environ.get("AWSLAB_HUB_AUTH", "pam") == "dummy":
    c.JupyterHub.authenticator_class = "dummy"
    if os.environ.get("AWSLAB_HUB_PASSWORD"):
        c.DummyAuthenticator.password = os.environ["AWSLAB_HUB_PASSWORD"]
    c.Authenticator.allow_all = True
else:  # the machine's accounts; only members of the class's Unix group may log in
    c.JupyterHub.authenticator_class = "pam"
    c.LocalAuthenticator.allowed_groups = {os.environ.get("AWSLAB_CLASS_GROUP", "awslab-students")}
if os.environ.get("AWSLAB_HUB_ADMINS"):  # the instructors: they may see and start every student's server
    c.Authenticator.admin_users = {name.strip() for name in os.environ["AWSLAB_HUB_ADMINS"].split(",") if name.strip()}

PYTHON = os.environ.get("AWSLAB_CLASS_PYTHON", sys.executable)
c.Spawner.cmd = [PYTHON, "-m", "awslab.classroom.student", "--", "jupyterhub-singleuser"]
SPAWNER = os.environ.get("AWSLAB_HUB_SPAWNER", "simple")
if SPAWNER == "isolated":
    from awslab.classroom.isolation import DEFAULT_NETWORK, DEFAULT_TAG, ClassNetwork

    network = ClassNetwork(os.environ.get("AWSLAB_CLASS_NETWORK", DEFAULT_NETWORK),
                           os.environ.get("AWSLAB_CLASS_TAG", DEFAULT_TAG))
    network.ensure_hub_address()  # students reach the Hub's API here, through their one route out
    c.JupyterHub.hub_ip = network.hub_address
    c.JupyterHub.spawner_class = "awslab.classroom.spawner.IsolatedSpawner"
    c.IsolatedSpawner.class_root = str(ROOT)
    c.IsolatedSpawner.network = network.network
    c.IsolatedSpawner.tag = network.tag
elif SPAWNER == "simple":
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(ROOT / "home" / "{username}")
    if os.geteuid() == 0:  # a class in one container runs as root there; Jupyter refuses root unless told
        c.Spawner.cmd.append("--allow-root")
else:
    c.JupyterHub.spawner_class = "localprocess"

from awslab.i18n import LANGUAGES, language  # noqa: E402 - after the settings above, as the config reads down

LANG = os.environ.get("AWSLAB_CLASS_LANG") or language()
if LANG not in LANGUAGES:
    raise SystemExit(f"AWSLAB_CLASS_LANG={LANG}: the course is in {' and '.join(LANGUAGES)}; set one of them")
# The local spawners' own list, and where the students' Python finds Jupyter's extensions and kernels when the
# Hub's admin points it elsewhere (JUPYTER_PATH, JUPYTER_CONFIG_PATH).
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "LANG", "LC_ALL",
                      "LD_LIBRARY_PATH", "JUPYTERHUB_SINGLEUSER_APP", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH"]
c.Spawner.default_url = f"/lab/tree/labs/{LANG}"  # each student's copy of the course, in the class's language
c.Spawner.start_timeout = 120  # the server and the student's cloud start together
c.Spawner.http_timeout = 120


def _home(spawner) -> Path:
    if SPAWNER == "isolated":
        return Path(spawner.home_dir)
    if hasattr(spawner, "home_dir_template"):
        return Path(spawner.home_dir_template.format(username=spawner.user.name))
    import pwd

    return Path(pwd.getpwnam(spawner.user.name).pw_dir)


def _student_env(spawner) -> dict:
    """Each student's AWSLAB_HOME and cloud port: their own, derived from who they are, the same every start."""
    awslab_home = _home(spawner) / ".awslab"
    return {"AWSLAB_HOME": str(awslab_home), "AWSLAB_PORT": str(PORT_BASE + spawner.user.id), "AWSLAB_CLASS": "1",
            "AWSLAB_LANG": LANG}


def pre_spawn_hook(spawner):
    if SPAWNER != "isolated":  # the isolated spawner makes the home itself, owned by the student
        _home(spawner).mkdir(mode=0o700, parents=True, exist_ok=True)
    spawner.environment.update(_student_env(spawner))
    spawner.environment["AWSLAB_CLASS_ROOT"] = str(ROOT)  # the instructor's class-progress view finds homes here


def post_stop_hook(spawner):
    """A backstop: if the server died without stopping its cloud (killed), stop the cloud now.

    The isolated spawner needs none: it ends every process left in the student's namespace itself.
    """
    if SPAWNER == "isolated":
        return
    env = dict(os.environ, **_student_env(spawner))
    subprocess.run([sys.executable, "-m", "awslab", "cloud", "stop"], env=env, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


c.Spawner.pre_spawn_hook = pre_spawn_hook
c.Spawner.post_stop_hook = post_stop_hook

if os.environ.get("AWSLAB_HUB_API_TOKEN"):
    c.JupyterHub.services = [{"name": "awslab-instructor", "api_token": os.environ["AWSLAB_HUB_API_TOKEN"]}]
    c.JupyterHub.load_roles = [{"name": "awslab-instructor", "services": ["awslab-instructor"],
                                "scopes": ["admin:users", "admin:servers", "admin:server_state", "list:users",
                                           "read:users"]}]
