"""The embedded cloud: AWS's APIs on http://127.0.0.1:4566, served by moto in a process of its own.

- ``server``   builds the WSGI app (moto + awslab's control API) and serves it.
- ``guard``    the outer door: only programs on this machine, never a web page; the control API's token.
- ``wire``     the front door for AWS calls: bodies read before the state lock, AWS's own errors for bad requests.
- ``control``  is the control API under ``/_awslab/`` (health, reset, clock, faults, timeline); each route
  declares the body it takes (``schema``).
- ``client``   the one client of the control API (it sends the token).
- ``identity`` who a running cloud is: pid, boot id, token file.
- ``process``  starts, finds and stops the cloud process from a notebook or the CLI.
- ``outage``   a cloud that stops or restarts under a lab, told as a paragraph.
"""
from .process import CloudProcess, CloudStop, cloud_status, ensure_cloud, start_cloud, stop_cloud

__all__ = ["CloudProcess", "CloudStop", "cloud_status", "ensure_cloud", "start_cloud", "stop_cloud"]
