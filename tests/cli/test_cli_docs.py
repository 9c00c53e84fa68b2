"""The README's two commands are the front door: CI must run exactly the second one."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    return [b.strip() for b in blocks if b.strip().startswith("python3 -m venv .venv")]


def test_readme_has_the_two_commands():
    install, test = readme_commands()[:2]
    assert install == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/awslab up"
    assert test == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/pytest'


def test_ci_runs_exactly_the_readme_test_command_in_a_fresh_venv():
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    assert readme_commands()[1] in ci.splitlines()
    assert ci.index("rm -rf .venv") < ci.index(readme_commands()[1])
    assert "--timeout=" in ci
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111


def test_readme_lists_every_subcommand():
    from awslab.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    readme = (REPO / "README.md").read_text()
    assert sub.choices and all(f"awslab {name} " in readme for name in sub.choices), sorted(sub.choices)


def test_awslab_help_lists_every_subcommand_in_its_overview():
    """``awslab --help`` opens with one line per command: a command missing there is one a student never finds."""
    import argparse

    from awslab.cli.parser import DESCRIPTION, build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    overview = {m.group(1) for m in re.finditer(r"^    awslab ([a-z-]+) ", DESCRIPTION, re.M)}
    assert set(sub.choices) == overview, f"in the parser, not the overview: {set(sub.choices) - overview}"
