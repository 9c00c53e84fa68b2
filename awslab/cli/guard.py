"""The real account's commands: awslab sweep, the build's cost confirmation, and the running-labs reminder."""
from __future__ import annotations

import argparse
import sys
import threading

from ..i18n import N_, _

__all__ = ["cmd_sweep", "confirm_build", "print_reminder"]

ASK = N_("Build lab '{lab}' on the real account at about ${per_hour:.2f}/h? [y/N] ")
DECLINED = N_("awslab: nothing was built (not confirmed).")
NO_TERMINAL_BUILD = N_("awslab: refusing to build on a real account without confirmation: there is no terminal to ask in. "
                       "Read the estimate above, then add --yes.")
REMINDER_SLOW = N_("awslab: the real account did not answer within {seconds} s; check your labs with awslab sweep --dry-run.")
#: How long awslab up and status wait for the reminder (a slow network must not hold JupyterLab back).
REMINDER_TIMEOUT_S = 15


def confirm_build(lab, args: argparse.Namespace) -> bool:
    """On the aws backend: the estimate, then the student's yes (the prompt, or --yes); False if not confirmed."""
    if lab.backend != "aws":
        return True
    from ..guardrails.confirm import CostNotConfirmed

    try:
        lab.confirm_cost(until=args.until, confirm=bool(args.yes))
        return True
    except CostNotConfirmed as e:
        print(e.problem, flush=True)
        if not sys.stdin.isatty():
            print(_(NO_TERMINAL_BUILD), file=sys.stderr)
            return False
        if input(_(ASK).format(lab=lab.name, per_hour=e.estimate.per_hour)).strip().lower() not in ("y", "yes", "예", "네"):
            print(_(DECLINED))
            return False
    lab.confirm_cost(until=args.until, confirm=True)
    return True


def print_reminder(timeout_s: float = REMINDER_TIMEOUT_S) -> None:
    """Print the labs still running on the real account (if the guardrails are configured), waiting at most ``timeout_s``."""
    from ..guardrails.allowlist import settings
    from ..errors import AwslabError

    try:
        if not settings().configured:
            return
    except AwslabError as e:
        print(f"awslab: {e}")
        return
    from ..guardrails.sweep import reminder

    lines: list[str] = []
    worker = threading.Thread(target=lambda: lines.extend(reminder()), name="awslab-reminder", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        print(_(REMINDER_SLOW).format(seconds=timeout_s), flush=True)
        return
    for line in lines:
        print(f"awslab: {line}" if not line.startswith(" ") else line, flush=True)


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..guardrails.sweep import sweep

    report = sweep(dry_run=args.dry_run)
    print(report.text())
    return 0 if all(t.clean for t in report.teardowns) else 1
