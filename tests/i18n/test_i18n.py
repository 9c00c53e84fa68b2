"""Two languages: every message the library shows a student has its Korean, with the same placeholders."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from awslab import i18n
from awslab.i18n import catalog

PACKAGE = Path(i18n.__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean_language(monkeypatch):
    for var in ("AWSLAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


def test_every_message_has_korean_with_the_same_placeholders():
    problems = catalog.check()
    assert problems == [], "\n".join(map(str, problems[:20]))


def test_the_language_comes_from_awslab_lang_then_the_locale(monkeypatch):
    assert i18n.language() == "en"
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n.language() == "ko"
    monkeypatch.setenv("AWSLAB_LANG", "en")
    assert i18n.language() == "en"
    monkeypatch.setenv("AWSLAB_LANG", "fr")
    assert i18n.language() == "en"  # a language the course does not have falls back to English
    i18n.set_language("ko")
    assert i18n.language() == "ko"


def test_a_message_reads_in_korean_and_keeps_aws_names():
    i18n.set_language("ko")
    text = i18n._("{tg} has {key} = {got}; the seed uses {want}.").format(
        tg="awslab-tg", key="HealthCheckIntervalSeconds", got=10, want=30)
    assert "시드" in text and "HealthCheckIntervalSeconds" in text and "awslab-tg" in text
    with pytest.raises(Exception, match="ko"):
        i18n.set_language("fr")


def test_no_translated_literal_hides_inside_an_f_string():
    """Babel cannot extract _("...") inside an f-string, so such a message would never be translated."""
    hidden = re.compile(r"""\{_\(\s*["']""")
    offenders = [f"{p.relative_to(PACKAGE)}:{i}" for p in PACKAGE.rglob("*.py")
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if hidden.search(line)]
    assert offenders == []
