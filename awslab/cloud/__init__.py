"""The embedded cloud: AWS's APIs on http://127.0.0.1:4566, served by moto in a process of its own.

- ``server``  builds the WSGI app (moto + awslab's control API) and serves it.
- ``control`` is the control API under ``/_awslab/`` (health, reset, clock, faults, timeline); each route
  declares the body it takes (``schema``).
- ``wire`` is the front door for AWS calls: bodies read before the state lock, AWS's own errors for bad requests.
- ``process`` starts, finds and stops the cloud process from a notebook or the CLI.
"""
from .process import CloudProcess, cloud_status, ensure_cloud, start_cloud, stop_cloud

__all__ = ["CloudProcess", "cloud_status", "ensure_cloud", "start_cloud", "stop_cloud"]
