"""What JupyterHub runs for each student: their own embedded cloud, then their single-user server.

``python -m awslab.classroom.student -- jupyterhub-singleuser [args]`` (the Hub's
``Spawner.cmd``, see ``deploy/jupyterhub/jupyterhub_config.py``) runs as the
student, with the environment the Hub gave them (``AWSLAB_HOME`` under their home,
``AWSLAB_PORT`` of their own, ``AWSLAB_CLASS=1``). In order:

1. make their access key if they have none (:mod:`awslab.cloud.access_keys`) and put
   it in the environment every notebook, terminal and ``aws`` command inherits;
   copy the course's notebooks into their workspace (``$AWSLAB_HOME/workspace``, as
   ``awslab up`` does: their copies, never overwritten) and open the server there;
2. start their embedded cloud (``awslab cloud start`` semantics: bound to loopback,
   its token in their AWSLAB_HOME, its data plane on a port block of its own);
3. run the server, passing on the signals the spawner sends it to stop;
4. when the server exits, stop the cloud, so a stopped server leaves no process.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from .. import config
from ..cloud import access_keys, start_cloud, stop_cloud
from ..course.workspace import Workspace

__all__ = ["student_environment", "main"]


def student_environment(key: access_keys.AccessKey) -> dict[str, str]:
    """What the student's programs need to reach their own cloud with plain boto3 and the AWS CLI."""
    return {"AWSLAB_CLASS": "1", "AWS_ENDPOINT_URL": config.endpoint_url(), "AWS_DEFAULT_REGION": config.region(),
            "AWS_SHARED_CREDENTIALS_FILE": str(access_keys.credentials_path()),
            "AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key}


def _workspace_arguments(command: list[str]) -> list[str]:
    """Open the server on the student's copy of the course, unless the Hub names a folder itself."""
    if any(arg.startswith(("--ServerApp.root_dir", "--notebook-dir")) for arg in command):
        return []
    workspace = Workspace()
    if workspace.source is None:  # an install without the course's notebooks: the server opens the home
        return []
    workspace.prepare()
    return [f"--ServerApp.root_dir={workspace.root}"]


def main(argv: list[str]) -> int:
    """Run the student's cloud and ``argv`` (the server's command line); return the server's exit code."""
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    command = command or ["jupyterhub-singleuser"]
    if command[0] == "jupyterhub-singleuser":  # the same program, with this launcher's own Python: no script's
        command = [sys.executable, "-m", "jupyterhub.singleuser", *command[1:]]  # #! line to follow
        command += _workspace_arguments(command)
    os.environ["AWSLAB_CLASS"] = "1"
    os.environ.update(student_environment(access_keys.ensure()))
    port = config.port()
    start_cloud(port)
    try:
        server = subprocess.Popen(command)
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, lambda signum, frame: server.send_signal(signum))
        return server.wait()
    finally:
        stop_cloud(port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
