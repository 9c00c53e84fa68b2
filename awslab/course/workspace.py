"""The student's workspace: copies of the labs they can write in, so the repository stays clean.

``awslab up`` opens JupyterLab on ``$AWSLAB_HOME/workspace``, which holds

    labs/en/*.ipynb, labs/ko/*.ipynb   copies of the course's notebooks (made once; never overwritten)
    diagrams/                           the seed's pictures the lessons show (refreshed every time)

A notebook the student has worked in is never replaced: a newer course
version only adds the labs that are missing. ``awslab lab reset 05`` puts a
fresh copy of lab 05 back, keeping the student's old one beside it.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..errors import AwslabError
from ..i18n import LANGUAGES, _
from .catalog import lab_info

__all__ = ["Workspace", "workspace_root", "course_root"]


def workspace_root() -> Path:
    return config.home() / "workspace"


def course_root() -> Path | None:
    """The folder that holds the course's ``labs/`` and ``diagrams/``, or None.

    ``AWSLAB_COURSE_ROOT`` when set (an install that is not a checkout, such as the Docker image, whose
    ``pip install .`` puts the package in site-packages and the course elsewhere); else the checkout beside
    the package (``pip install -e .``).
    """
    named = os.environ.get("AWSLAB_COURSE_ROOT")
    if named:
        return Path(named) if (Path(named) / "labs").is_dir() else None
    here = Path(__file__).resolve().parents[2]
    return here if (here / "labs").is_dir() else None


@dataclass
class Workspace:
    """Where the student's copies live, and where they come from."""

    root: Path = field(default_factory=workspace_root)
    source: Path | None = field(default_factory=course_root)

    def _need_source(self) -> Path:
        if self.source is None:
            raise AwslabError(_("The course's notebooks were not found beside the awslab package."),
                              _("Run awslab from a checkout of the awslab repository (git clone ...; pip install -e .)."))
        return self.source

    def lab_dir(self, lang: str) -> Path:
        return self.root / "labs" / lang

    def prepare(self) -> list[Path]:
        """Copy every lab the workspace lacks (both languages) and refresh the diagrams; returns the new copies."""
        source = self._need_source()
        added = []
        for lang in LANGUAGES:
            src_dir = source / "labs" / lang
            if not src_dir.is_dir():
                continue
            dst_dir = self.lab_dir(lang)
            dst_dir.mkdir(parents=True, exist_ok=True)
            for nb in sorted(src_dir.glob("*.ipynb")):
                target = dst_dir / nb.name
                if not target.exists():
                    shutil.copyfile(nb, target)
                    added.append(target)
        if (source / "diagrams").is_dir():
            shutil.copytree(source / "diagrams", self.root / "diagrams", dirs_exist_ok=True)
        return added

    def reset(self, lab_id: str, lang: str) -> tuple[Path, Path | None]:
        """A fresh copy of one lab; the student's old copy is kept as ``<name>.<time>.ipynb``. Returns (new, kept)."""
        info = lab_info(lab_id)
        source = self._need_source() / "labs" / lang / f"{info.stem}.ipynb"
        if not source.exists():
            raise AwslabError(_("Lab {id} has no {lang} notebook in the course.").format(id=info.id, lang=lang),
                              _("Use --lang en or --lang ko."))
        target = self.lab_dir(lang) / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        kept = None
        if target.exists():
            kept = target.with_name(f"{info.stem}.{time.strftime('%Y%m%d-%H%M%S')}.ipynb")
            target.rename(kept)
        shutil.copyfile(source, target)
        return target, kept
