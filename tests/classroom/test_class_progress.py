"""awslab class progress: who passed which checks, reading each student's progress.json and nothing else (§3, §4)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from awslab.course.store import ProgressStore

#: An audit hook that records, in ``seen``, every file opened and every folder listed.
AUDIT_HOOK = """
import json, sys
seen = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)) or event in ("os.listdir", "os.scandir"):
        seen.append([event, str(args[0])])
sys.addaudithook(hook)
"""
#: Runs the CLI under that hook.
WATCHED = AUDIT_HOOK + """
from awslab.cli import main
code = main(sys.argv[1:])
print("\\nSEEN " + json.dumps(seen))
sys.exit(code)
"""


def _class(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Alice (an AWSLAB_HOME with a pass), Bob (a home with .awslab, two passes), Carol (nothing yet)."""
    alice, bob, carol = tmp_path / "alice" / ".awslab", tmp_path / "bob", tmp_path / "carol" / ".awslab"
    for folder in (alice, bob / ".awslab", carol):
        folder.mkdir(parents=True)
        (folder / "aws").mkdir()
        (folder / "aws" / "credentials").write_text("[default]\naws_access_key_id = AKIASECRET\n")
        (folder / "cloud-4566.token").write_text("secret-token")
        (folder / "awslab-key.pem").write_text("a stand-in for the student key file\n")
    ProgressStore(alice / "progress.json").record("02.1", True, lab="awslab", backend="embedded")
    ProgressStore(alice / "progress.json").record("02.2", False)
    for task in ("02.1", "02.2"):
        ProgressStore(bob / ".awslab" / "progress.json").record(task, True)
    return alice, bob, carol


def _run(*args: str, env_home: Path) -> tuple[str, list]:
    env = dict(os.environ, AWSLAB_HOME=str(env_home), AWSLAB_LANG="en")
    done = subprocess.run([sys.executable, "-c", WATCHED, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out, _, seen = done.stdout.rpartition("\nSEEN ")
    return out, json.loads(seen)


def test_it_shows_who_passed_which_checks_and_reads_nothing_else(tmp_path):
    alice, bob, carol = _class(tmp_path)
    out, seen = _run("class", "progress", str(alice), str(bob), str(carol), env_home=tmp_path / "instructor")
    lines = out.splitlines()
    assert lines[1].startswith("alice: 1 of ")
    lab, count, *passed = lines[2].split()
    assert (lab, count.split("/")[0], passed) == ("02", "1", ["02.1"]), "the failed 02.2 is not a pass"
    assert any(line.startswith("bob: 2 of ") for line in lines)
    assert any(line.startswith("carol: no progress yet") for line in lines)
    touched = [path for _event, path in seen if path.startswith(str(tmp_path)) and "instructor" not in path]
    assert touched and all(Path(p).name == "progress.json" for p in touched), touched
    assert not [p for e, p in seen if e in ("os.listdir", "os.scandir") and p.startswith(str(tmp_path))]


def test_a_roster_names_the_students(tmp_path):
    alice, bob, _carol = _class(tmp_path)
    roster = tmp_path / "roster.txt"
    roster.write_text(f"# name path\nAlice Kim {alice}\n\nbob {bob}\n".replace("Alice Kim", "alice-kim"))
    out, _seen = _run("class", "progress", "--roster", str(roster), env_home=tmp_path / "instructor")
    assert "alice-kim: 1 of" in out and "bob: 2 of" in out


def test_a_bad_roster_line_is_named_and_nothing_is_read(tmp_path):
    roster = tmp_path / "roster.txt"
    roster.write_text("alice\n")
    env = dict(os.environ, AWSLAB_HOME=str(tmp_path / "instructor"), AWSLAB_LANG="en")
    done = subprocess.run([sys.executable, "-m", "awslab", "class", "progress", "--roster", str(roster)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Line 1 of the roster" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
