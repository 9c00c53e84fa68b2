"""A curl answer in a lab is tidy: a long body line is cut between words, with an ellipsis, never mid-word."""
from __future__ import annotations

from awslab.course.web import Reply


def test_a_long_body_line_is_cut_between_words_with_an_ellipsis():
    body = '{"products": [' + ", ".join(f'{{"id": {i}, "name": "Keyboard{i}"}}' for i in range(20)) + "]}"
    text = Reply("http://x/products", 200, "OK", body, 0.1).text()
    shown = text.split(" · ", 1)[1]
    assert shown.endswith(" …") and len(shown) <= 202
    kept = shown[:-2]
    assert body.startswith(kept) and body[len(kept)] in " ,", "the cut falls on a space or a comma"


def test_a_short_body_line_is_shown_whole():
    assert Reply("http://x/", 200, "OK", "hello from i-0abc\nsecond line", 0.1).text() == "200 OK · hello from i-0abc"
