"""``awslab ca``: where the lab CA's certificate is, the one to trust for HTTPS to the lab's load balancers."""
from __future__ import annotations

import argparse

__all__ = ["cmd_ca"]


def cmd_ca(args: argparse.Namespace) -> int:
    """Print the path of the lab CA's certificate (made on first use); never its key."""
    from ..cloud.labca import ca_certificate_path

    print(ca_certificate_path())
    return 0
