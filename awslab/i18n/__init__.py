"""Two languages for everything a student reads: Korean and English.

Messages are written in English in the code and wrapped in :func:`_`; the
Korean text lives in a gettext catalogue (``locales/ko/LC_MESSAGES/awslab.po``),
read with Babel. AWS names stay as AWS spells them in both languages
("Target group", ``HealthyThresholdCount``), so a student can search for them.

The language is, in order: :func:`set_language`, ``AWSLAB_LANG`` (``ko`` or
``en``; ``awslab up --lang`` sets it for JupyterLab), then the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``ko_KR.UTF-8`` gives Korean), then English.

Write a message as one literal with named placeholders, then fill them::

    _("Target group {name} checks {path} every {interval} s.").format(name=..., path=..., interval=...)

so the translator sees the whole sentence and can move the placeholders.
Extract and update the catalogue with ``python -m awslab.i18n.catalog`` (see that module).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["LANGUAGES", "language", "set_language", "_", "N_", "ngettext", "catalog_path"]

#: The course's languages; the first is the one the code is written in.
LANGUAGES = ("en", "ko")
DOMAIN = "awslab"
_LOCALES = Path(__file__).resolve().parent / "locales"

_chosen: str | None = None
_catalogs: dict[str, dict] = {}
_lock = threading.Lock()


def catalog_path(lang: str) -> Path:
    """The ``.po`` file that holds ``lang``'s translations."""
    return _LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _from_locale() -> str | None:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return None


def language() -> str:
    """The language messages are shown in now: ``"ko"`` or ``"en"``."""
    if _chosen:
        return _chosen
    env = os.environ.get("AWSLAB_LANG", "").strip().lower()
    if env:
        return env if env in LANGUAGES else "en"
    return _from_locale() or "en"


def set_language(lang: str | None) -> str:
    """Show messages in ``lang`` from now on in this process (``None``: back to the environment's choice)."""
    global _chosen
    if lang is not None and lang not in LANGUAGES:
        from ..errors import ValidationError

        raise ValidationError("lang", lang, _("awslab speaks {languages}").format(
            languages=" and ".join(LANGUAGES)), _("Use 'ko' or 'en'."))
    _chosen = lang
    return language()


def _catalog(lang: str) -> dict:
    """``{msgid: msgstr}`` (plural entries: ``{(msgid, n): msgstr}``) for ``lang``, read once."""
    with _lock:
        if lang not in _catalogs:
            _catalogs[lang] = _read(catalog_path(lang))
        return _catalogs[lang]


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        cat = read_po(f)
    table: dict = {}
    for m in cat:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            for i, s in enumerate(m.string):
                if s:
                    table[(m.id[0], i)] = s
        elif m.string:
            table[m.id] = m.string
    return table


def _(message: str) -> str:
    """``message`` in the current language (the English text itself when there is no translation)."""
    lang = language()
    if lang == "en":
        return message
    return _catalog(lang).get(message, message)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (for tables built at import)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``. Korean has one form; English two."""
    lang = language()
    if lang != "en":
        found = _catalog(lang).get((singular, 0))
        if found:
            return found
    return singular if n == 1 else plural
