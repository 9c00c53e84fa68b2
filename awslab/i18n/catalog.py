"""Keep the Korean catalogue in step with the code: ``python -m awslab.i18n.catalog [update|check]``.

- ``update`` extracts every ``_()``, ``N_()`` and ``ngettext()`` message from
  ``awslab/`` (Babel's extractor) and merges them into each language's ``.po``:
  new messages arrive with an empty translation, gone ones are dropped.
- ``check`` (the default; a test runs it) lists messages with no Korean yet,
  and translations whose ``{placeholders}`` differ from the English.

A translator edits ``awslab/i18n/locales/ko/LC_MESSAGES/awslab.po`` with any
PO editor (Poedit, VS Code) or by hand.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import LANGUAGES, catalog_path

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
_FIELD = re.compile(r"(?<!\{)\{([a-zA-Z_][a-zA-Z0-9_]*)(?:[:!][^}]*)?\}(?!\})")


@dataclass(frozen=True)
class Problem:
    lang: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"[{self.lang}] {self.what}: {self.msgid[:100]!r}"


def extract():
    """Every translatable message in the package, as a Babel ``Catalog``."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    cat = Catalog(project="awslab", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",)):
        cat.add(message, locations=[(f"awslab/{filename}", lineno)], auto_comments=comments, context=context)
    return cat


def update() -> dict[str, int]:
    """Merge the extracted messages into every language's ``.po``; returns how many lack a translation."""
    from babel.messages.pofile import read_po, write_po

    template = extract()
    missing = {}
    for lang in LANGUAGES[1:]:
        path = catalog_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as f:
                cat = read_po(f, locale=lang)
        else:
            from babel.messages.catalog import Catalog

            cat = Catalog(locale=lang, project="awslab", charset="utf-8")
        template.creation_date = cat.creation_date  # a re-run that adds nothing changes nothing (quiet diffs)
        cat.update(template, no_fuzzy_matching=True)
        cat.obsolete.clear()
        with path.open("wb") as f:
            write_po(f, cat, width=120, sort_output=False, omit_header=False, include_previous=False)
        missing[lang] = sum(1 for m in cat if m.id and not _translated(m))
    return missing


def _translated(m) -> bool:
    return bool(all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy


def check() -> list[Problem]:
    """Messages in the code with no translation, and translations whose placeholders differ."""
    from babel.messages.pofile import read_po

    template = extract()
    problems: list[Problem] = []
    for lang in LANGUAGES[1:]:
        path = catalog_path(lang)
        with path.open("rb") as f:
            cat = read_po(f, locale=lang)
        for m in template:
            if not m.id:
                continue
            found = cat.get(m.id)
            if found is None or not _translated(found):
                problems.append(Problem(lang, _first(m.id), "no translation"))
                continue
            for en, tr in zip(_forms(m.id), _forms(found.string)):
                if set(_FIELD.findall(en)) != set(_FIELD.findall(tr)):
                    problems.append(Problem(lang, en, f"placeholders differ: {sorted(set(_FIELD.findall(tr)))}"))
    return problems


def _first(msgid) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _forms(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["update"]:
        for lang, n in update().items():
            print(f"{catalog_path(lang)}: {n} message(s) still to translate")
        return 0
    problems = check()
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
