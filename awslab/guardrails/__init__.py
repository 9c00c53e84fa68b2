"""Guardrails for the ``aws`` backend: what keeps a lab on a real account from surprising its owner.

- :mod:`.allowlist`: the accounts and regions a lab may build in (``$AWSLAB_HOME/real-aws.toml`` and
  ``AWSLAB_ALLOWED_ACCOUNTS`` / ``AWSLAB_ALLOWED_REGIONS``), checked against STS's ``GetCallerIdentity``
  before anything is created;
- :mod:`.prices` and :mod:`.estimate`: what the lab's own spec costs per hour, from a dated price table,
  shown before a build and confirmed by the student;
- :mod:`.expiry`: the ``awslab:expires-at`` tag on everything a lab creates;
- :mod:`.sweep`: ``awslab sweep`` tears down every expired lab in every allowed region, and the reminder
  ``awslab up`` and ``awslab status`` show of labs still running.

The embedded cloud and LocalStack cost nothing, so none of this applies to them.
"""
from __future__ import annotations

from ..errors import BackendError


class GuardrailError(BackendError):
    """A guardrail refused: an account or region not allowed, a cost not confirmed, a sweep that cannot run."""


__all__ = ["GuardrailError"]
