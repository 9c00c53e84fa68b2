"""Where `awslab present` on JupyterHub puts the instructor's notebooks, and the address it prints."""
from __future__ import annotations

import json

from awslab.classroom import instructor


def test_the_server_root_is_the_hubs_notebook_dir_else_the_workspace_else_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AWSLAB_HOME", str(tmp_path / "home" / ".awslab"))
    monkeypatch.delenv("JUPYTERHUB_ROOT_DIR", raising=False)
    assert instructor.server_root() == tmp_path / "home"
    (tmp_path / "home" / ".awslab" / "workspace").mkdir(parents=True)
    assert instructor.server_root() == tmp_path / "home" / ".awslab" / "workspace"
    monkeypatch.setenv("JUPYTERHUB_ROOT_DIR", str(tmp_path / "notebooks"))
    assert instructor.server_root() == tmp_path / "notebooks"


def test_the_console_address_goes_through_the_users_prefix(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/teacher/")
    monkeypatch.setenv("JUPYTERHUB_HOST", "https://hub.example.edu")
    assert instructor.on_hub()
    assert instructor.console_path("drill", "ko") == (
        "https://hub.example.edu/user/teacher/voila/render/awslab-instructor/console.ipynb?lab=drill&lang=ko")
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    assert not instructor.on_hub()


def test_the_shipped_notebooks_have_no_outputs(tmp_path):
    placed = instructor.place_notebooks(tmp_path)
    for path in placed.values():
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert code and all(not c["outputs"] and c["execution_count"] is None for c in code), path
    assert "class_progress_view" in "".join(code[0]["source"])


def test_the_class_progress_notebook_shows_the_class(tmp_path, monkeypatch):
    import nbclient
    import nbformat

    from awslab.course.store import ProgressStore

    ProgressStore(tmp_path / "class" / "home" / "minji" / ".awslab" / "progress.json").record("01.1", True)
    (tmp_path / "class" / "home" / "junho").mkdir(parents=True)
    monkeypatch.setenv("AWSLAB_CLASS_ROOT", str(tmp_path / "class"))
    monkeypatch.setenv("AWSLAB_LANG", "en")
    monkeypatch.setenv("PYTHONPATH", str(instructor.CONSOLE.parents[2]))  # this checkout's awslab in the kernel
    nb = nbformat.read(instructor.place_notebooks(tmp_path)["progress"], as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    shown = nb.cells[-1].outputs
    assert shown and all(o["output_type"] != "error" for o in shown), shown
    widget = shown[-1]["data"]["application/vnd.jupyter.widget-view+json"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    values = " ".join(str(m["state"].get("value", "")) for m in state.values())
    assert widget["model_id"] in state
    assert "data-student='minji'" in values and "data-student='junho'" in values and "not started" in values
