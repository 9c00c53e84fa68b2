"""Lessons as text: one MyST source per lab, both languages, turned into a notebook per language.

``labs/src/<id>-<slug>.md`` is a jupytext MyST notebook. It holds:

- Markdown cells for each language, marked ``+++ {"lang": "en"}`` / ``+++ {"lang": "ko"}``
  (a cell without ``lang`` is shared);
- code cells shared by both languages. In them:

  - ``«expr»`` is a blank: the student sees ``___`` and fills it in; the
    solution has ``expr``;
  - lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` become one ``___`` line for the student;
  - ``# @en: text @ko: 텍스트`` is a comment in each language (alone on a line, or after code);
  - ``ask("08.q1")`` gets its right answer in the solution (from :mod:`awslab.checks`).

- Cells tagged ``solution-only`` appear only in the solution (waits and
  assertions the course's own tests need); ``student-only`` ones only for the student.

``python -m awslab.course.lessons`` writes ``labs/<lang>/<id>-<slug>.ipynb``
(the student version, committed, without outputs); ``--check`` fails when a
committed notebook is not what its source gives. Solutions are made on demand
(:func:`notebook` with ``variant="solution"``), as nbgrader and jupyter-book
make the student version from the instructor's.
"""
from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Iterable

from ..i18n import LANGUAGES
from .catalog import LABS, LabInfo

__all__ = ["VARIANTS", "source_path", "notebook", "write_all", "check_all", "solution_code", "student_code"]

VARIANTS = ("student", "solution")
_BLANK = re.compile(r"«\s*(.+?)\s*»")
_LANG_COMMENT = re.compile(r"(\s*)#\s*(@\w\w:.*)$")
_LANG_PART = re.compile(r"@(\w\w):\s*(.*?)(?=\s*@\w\w:|$)")
_ASK = re.compile(r"""\bask\(\s*(["'])(\d\d\.q\d+)\1\s*\)""")


def labs_root() -> Path:
    """The repository's ``labs/`` folder (beside the package in a checkout)."""
    return Path(__file__).resolve().parents[2] / "labs"


def source_path(info: LabInfo, root: Path | None = None) -> Path:
    return (root or labs_root()) / "src" / f"{info.stem}.md"


def notebook_path(info: LabInfo, lang: str, root: Path | None = None) -> Path:
    return (root or labs_root()) / lang / f"{info.stem}.ipynb"


def _lang_lines(code: str, lang: str) -> str:
    """Keep the comments of ``lang``: ``x = 1  # @en: one @ko: 하나`` -> ``x = 1  # one`` in English."""
    out = []
    for line in code.splitlines():
        m = _LANG_COMMENT.search(line)
        if not m:
            out.append(line)
            continue
        texts = dict((k, v.strip()) for k, v in _LANG_PART.findall(m.group(2)))
        head = line[: m.start()].rstrip()
        text = texts.get(lang)
        if text:
            out.append(f"{head}  # {text}" if head.strip() else f"{head}# {text}" if head else f"# {text}")
        elif head.strip():
            out.append(head)
    return "\n".join(out)


def solution_code(code: str, lang: str = "en") -> str:
    """The solution's text of a source code cell."""
    code = _lang_lines(code, lang)
    code = "\n".join(line for line in code.splitlines() if line.strip() not in ("# BEGIN SOLUTION", "# END SOLUTION"))
    code = _BLANK.sub(lambda m: m.group(1), code)
    return _with_answers(code)


def student_code(code: str, lang: str = "en") -> str:
    """The student's text of a source code cell: blanks as ``___``, solution blocks as one ``___`` line."""
    code = _lang_lines(code, lang)
    out, inside = [], False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + "___")
            continue
        if stripped == "# END SOLUTION":
            inside = False
            continue
        if not inside:
            out.append(line)
    return _BLANK.sub("___", "\n".join(out))


def _with_answers(code: str) -> str:
    from ..checks.registry import get_question

    return _ASK.sub(lambda m: f'ask("{m.group(2)}", answer={get_question(m.group(2)).answer + 1})', code)


def _has_solution(code: str) -> bool:
    return bool(_BLANK.search(code)) or "# BEGIN SOLUTION" in code


def _cell_id(info: LabInfo, lang: str, index: int, text: str) -> str:
    return hashlib.sha1(f"{info.id}:{lang}:{index}:{text}".encode()).hexdigest()[:12]


def notebook(info: LabInfo, lang: str, variant: str = "student", root: Path | None = None):
    """The ``nbformat`` notebook of lab ``info`` in ``lang`` (``student`` or ``solution``)."""
    import jupytext
    import nbformat

    if lang not in LANGUAGES or variant not in VARIANTS:
        raise ValueError(f"lang must be one of {LANGUAGES} and variant one of {VARIANTS}")
    src = jupytext.read(source_path(info, root))
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"},
                   "awslab": {"lab": info.id, "lang": lang, "variant": variant}}
    cells = []
    for cell in src.cells:
        meta = dict(cell.metadata)
        if meta.pop("lang", lang) != lang:
            continue
        tags = set(meta.get("tags", []))
        if ("solution-only" in tags and variant != "solution") or ("student-only" in tags and variant != "student"):
            continue
        if cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(cell.source))
            continue
        code = solution_code(cell.source, lang) if variant == "solution" else student_code(cell.source, lang)
        cells.append(nbformat.v4.new_code_cell(code))
        if variant == "student" and _has_solution(cell.source):
            cells.append(nbformat.v4.new_markdown_cell(_solution_toggle(solution_code(cell.source, lang), lang)))
    for i, c in enumerate(cells):
        c["id"] = _cell_id(info, lang, i, c.source)
        c["metadata"] = {}
    nb.cells = cells
    return nb


def _solution_toggle(code: str, lang: str) -> str:
    label = {"en": "Stuck? Show a solution", "ko": "막혔나요? 풀이 보기"}[lang]
    return f"<details><summary>{label}</summary>\n\n```python\n{code}\n```\n\n</details>"


def _text(nb) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def lessons(root: Path | None = None) -> Iterable[LabInfo]:
    """The labs whose source exists."""
    return [info for info in LABS if source_path(info, root).exists()]


def write_all(root: Path | None = None) -> list[Path]:
    """Write every lab's student notebook in every language; returns the files that changed."""
    changed = []
    for info in lessons(root):
        for lang in LANGUAGES:
            path = notebook_path(info, lang, root)
            text = _text(notebook(info, lang, "student", root))
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                changed.append(path)
    return changed


def check_all(root: Path | None = None) -> list[str]:
    """Problems: notebooks that differ from their source, and notebooks with no source."""
    problems = []
    for info in lessons(root):
        for lang in LANGUAGES:
            path = notebook_path(info, lang, root)
            if not path.exists() or path.read_text(encoding="utf-8") != _text(notebook(info, lang, "student", root)):
                problems.append(f"{path} is not what {source_path(info, root).name} gives: run python -m awslab.course.lessons")
    known = {f"{info.stem}.ipynb" for info in lessons(root)}
    for lang in LANGUAGES:
        for path in sorted(((root or labs_root()) / lang).glob("*.ipynb")):
            if path.name not in known:
                problems.append(f"{path} has no source in labs/src/")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if "--check" in args:
        problems = check_all()
        print("\n".join(problems) or "every notebook is in sync with its source")
        return 1 if problems else 0
    for path in write_all():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

