"""The CLI log replays as written: the AWS CLI runs the whole recorded script against a fresh cloud, the cloud then
holds the same stack as the Python build (found by tag), and awslab's teardown leaves nothing behind."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from awslab import Lab
from awslab.layers.keys import default_key_dir
from awslab.layers.stack import LAYERS, build_stack
from awslab.layers.teardown import find_lab_resources, teardown
from stack_snapshot import resource_counts, snapshot
from tests.conftest import spawn_cloud, stop_spawned

#: Commands that create something the API gives no way to tag, and why.
UNTAGGABLE = {
    "create-route": "a route is part of its route table",
    "create-origin-access-control": "CloudFront's origin access controls take no tags (teardown finds it by name)",
    "put-scaling-policy": "scaling policies take no tags (they go with their group)",
    "put-scheduled-update-group-action": "scheduled actions take no tags (they go with their group)",
    "put-role-policy": "an inline policy is part of its role",
    "create-launch-template-version": "a version is part of its template",
}
#: Commands that create something, and take its tags in a second command.
TAGGED_AFTER = {"create-bucket": "put-bucket-tagging", "create-hosted-zone": "change-tags-for-resource"}
COMMAND = re.compile(r"\baws [\w-]+ ([\w-]+)")


def creates(verb: str) -> bool:
    """Does this AWS CLI command create a resource (rather than change a setting of one)?"""
    return verb.startswith(("create-", "run-", "allocate-", "import-", "authorize-")) or verb in (
        "put-metric-alarm", "put-scaling-policy", "put-scheduled-update-group-action", "put-role-policy")


def aws_cli_env(tmp_path: Path) -> dict[str, str]:
    """The AWS CLI from this venv, test credentials, and no user config that could change its answers."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_CONFIG_FILE=str(tmp_path / "no-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"))
    env.pop("AWS_PROFILE", None)
    return env


def test_every_recorded_command_tags_what_it_creates_and_the_layers_are_numbered(lab):
    build_stack(lab)
    script = lab.cli_log().script()
    assert re.findall(r"^# (\d+)\. (\w+) -", script, re.M) == [(str(i), name) for i, name in enumerate(LAYERS, 1)]
    untagged = []
    lines = script.splitlines()
    for i, line in enumerate(lines):
        for verb in filter(creates, COMMAND.findall(line)):
            tagged = "--tags" in line or "--tag-specifications" in line or verb.endswith("-with-tags")
            if verb in TAGGED_AFTER:
                tagged = any(TAGGED_AFTER[verb] in later for later in lines[i + 1:i + 8])
            if not tagged and verb not in UNTAGGABLE:
                untagged.append(line[:160])
    assert untagged == [], "these commands create something without the lab's tag:\n" + "\n".join(untagged)
    teardown(lab)


@pytest.fixture
def fresh_cloud(awslab_home):
    """A cloud process of its own, so it starts empty."""
    proc, url = spawn_cloud(awslab_home)
    yield url
    stop_spawned(proc)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~80 AWS CLI processes: ~1.5 min on a quiet machine, ~6 min at a load average of 20
def test_the_cli_log_replayed_on_a_fresh_cloud_builds_the_same_stack_and_tears_down_clean(lab, fresh_cloud, tmp_path):
    build_stack(lab)
    want, want_counts = snapshot(lab), resource_counts(lab)
    script = lab.cli_log().script()
    teardown(lab)  # on the session's cloud; it deletes the lab's key files too, which the script makes again
    assert not list(default_key_dir().glob(lab.name + "*"))
    endpoint = f"export AWS_ENDPOINT_URL={lab.endpoint_url}"
    assert endpoint in script
    replay = tmp_path / "replay.sh"
    replay.write_text(script.replace(endpoint, f"export AWS_ENDPOINT_URL={fresh_cloud}"))
    run = subprocess.run(["bash", str(replay)], cwd=tmp_path, env=aws_cli_env(tmp_path), capture_output=True, text=True,
                         timeout=1700)
    assert run.returncode == 0, run.stderr[-4000:]

    replayed = Lab(name=lab.name, endpoint_url=fresh_cloud, start_cloud=False)
    assert resource_counts(replayed) == want_counts
    got = snapshot(replayed)
    for layer in want:
        assert got[layer] == want[layer], layer
    report = teardown(replayed)
    assert report.clean, report.summary()
    assert find_lab_resources(replayed) == []
