"""Where the course's notebooks come from: a checkout beside the package, or the folder AWSLAB_COURSE_ROOT names."""
from __future__ import annotations

from pathlib import Path

from awslab.course.workspace import Workspace, course_root

REPO = Path(__file__).resolve().parents[2]


def test_a_checkout_finds_its_own_course(monkeypatch):
    monkeypatch.delenv("AWSLAB_COURSE_ROOT", raising=False)
    assert course_root() == REPO


def test_an_install_elsewhere_finds_the_course_it_is_told_of_and_copies_it(monkeypatch, tmp_path):
    course = tmp_path / "course"
    (course / "labs" / "en").mkdir(parents=True)
    (course / "labs" / "en" / "01-network.ipynb").write_text("{}")
    monkeypatch.setenv("AWSLAB_COURSE_ROOT", str(course))
    assert course_root() == course
    added = Workspace(root=tmp_path / "workspace").prepare()
    assert [p.name for p in added] == ["01-network.ipynb"]


def test_a_named_folder_without_labs_is_no_course(monkeypatch, tmp_path):
    monkeypatch.setenv("AWSLAB_COURSE_ROOT", str(tmp_path))
    assert course_root() is None
