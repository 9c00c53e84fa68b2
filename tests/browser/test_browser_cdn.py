"""The seed's modern path in a real browser: the builder's page loads from CloudFront's local address and its
JavaScript calls /api/products, which goes CloudFront -> ALB -> app -> database (Debian's Chromium)."""
from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from awslab.layers.edge import ensure_index_page

from ..conftest import control
from ..dataplane.test_dataplane_cloudfront import client, make_site
from ..dataplane.test_dataplane_service import _octet, build, start_cloud, stop_cloud
from .test_browser_jupyterlab import browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_page_from_cloudfront_shows_the_products_the_app_served(tmp_path_factory, browser):
    proc, url = start_cloud(tmp_path_factory.mktemp("cdn-browser"))
    try:
        stack = build(url, _octet())
        site = make_site(url, stack["lb"]["DNSName"])
        lab = SimpleNamespace(client=lambda name: client(url, name), record=lambda *a, **k: None)
        client(url, "s3").delete_object(Bucket=site["bucket"], Key="index.html")
        ensure_index_page(lab, site["bucket"], "index.html", stack["lb"]["DNSName"], [])  # the builder's page
        page = browser.new_page()
        try:
            page.goto(site["local"] + "/", timeout=30000)
            page.wait_for_function("document.querySelectorAll('#products li').length > 0", timeout=30000)
            shown = page.eval_on_selector_all("#products li", "els => els.map(e => e.textContent)")
            instance = page.text_content("#instance")
        finally:
            page.close()
        expected = control(url, "GET", "cloudfront")
        assert instance in stack["ids"], (instance, stack["ids"])
        assert len(shown) >= 3 and all(": " in s for s in shown), shown
        dist = [d for d in expected["distributions"] if d["id"] == site["id"]][0]
        assert dist["origin_requests"] >= 2  # the page from S3, then /api/products from the ALB
        assert urlsplit(site["local"]).hostname != "127.0.0.1"
    finally:
        stop_cloud(proc)
