"""What every bench command shares: the machine line and its own section of docs/benchmarks.md.

A section lives between ``<!-- <name>:start -->`` and ``<!-- <name>:end -->`` and is replaced on a
re-run (appended the first time). Bench commands are run as ``python bench/<bench>.py``, which puts
this directory on the import path.
"""
from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["DOCS", "machine", "write_section"]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """The load average now (the machine is shared), CPUs, CPU model and Python."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown") if Path("/proc/cpuinfo").exists() \
        else platform.processor() or "unknown"
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    return (f"load average {os.getloadavg()[0]:.1f} while measuring; nproc {nproc}, {cpu}, "
            f"Python {platform.python_version()}")


def write_section(name: str, heading: str, body: str) -> None:
    """Replace (or append) the section ``name`` of docs/benchmarks.md: ``## <heading> (<UTC date>)`` and ``body``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = f"{start}\n## {heading} ({stamp})\n\n{body}\n{end}"
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if start in current and end in current:
        current = current[: current.index(start)] + section + current[current.index(end) + len(end):]
    else:
        current = current.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(current)
