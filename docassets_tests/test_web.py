"""The search page in a real browser: Debian's Chromium driven by Playwright, over a real processed matter.

Screenshots go to $DOCASSETS_SCREENSHOTS when set (the README's pictures come from
`DOCASSETS_SCREENSHOTS=docs/screenshots pytest docassets_tests/test_web.py`), else to a temporary folder.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
import uvicorn
from playwright.sync_api import Page, expect

from docassets.search import search
from docassets.web import PAGE_DPI, create_app

from .search_matter import PROJECT


@pytest.fixture
def site(postgres_matter) -> Iterator[str]:
    """`docassets serve`'s app on a free loopback port, over the matter's tables and blob store."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(postgres_matter.settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _search(page: Page, query: str, entity: str = "", entity2: str = "", together: str = "page") -> None:
    page.get_by_label("query", exact=True).fill(query)
    page.get_by_label("entity", exact=True).fill(entity)
    page.get_by_label("second entity").fill(entity2)
    page.get_by_label("together").select_option(together)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state("networkidle")


def test_the_search_page_shows_cited_hits_beside_their_page_images(
    browser, site, postgres_matter, screenshots
):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(site)
    _search(page, '"life insurance" Dearborn')
    expected = search(postgres_matter.tables, PROJECT, '"life insurance" Dearborn', limit=50)
    hits = page.locator("article.hit")
    expect(hits).to_have_count(len(expected))
    assert hits.locator(".cite").all_inner_texts() == [hit.citation for hit in expected]
    assert expected[0].citation.startswith("WOMBAT 0005")
    marked = {text.lower() for text in hits.first.locator("mark").all_inner_texts()}
    assert marked & {"life insurance", "dearborn", "life", "insurance"}
    image = hits.first.locator(".page img")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 300  # the page was rendered from the stored PDF
    page.screenshot(path=screenshots / "search.png")


def test_the_entity_filter_keeps_pages_naming_both_in_one_sentence(
    browser, site, postgres_matter, screenshots
):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(site)
    _search(page, "insurance", entity="St. Pierre", entity2="Standard", together="sentence")
    expected = search(
        postgres_matter.tables,
        PROJECT,
        "insurance",
        entities=["St. Pierre", "Standard"],
        together="sentence",
        limit=50,
    )
    everything = search(postgres_matter.tables, PROJECT, "insurance", limit=50)
    assert 0 < len(expected) < len(everything)
    expect(page.locator("article.hit")).to_have_count(len(expected))
    expect(page.locator(".summary")).to_contain_text("St. Pierre and Standard in one sentence")
    page.screenshot(path=screenshots / "entity-filter.png")

    _search(page, "-draft")
    expect(page.locator(".error")).to_contain_text("cannot only exclude")
    expect(page.locator("article.hit")).to_have_count(0)


def test_a_page_image_is_the_stored_page_rendered(browser, site, postgres_matter):
    document_id = postgres_matter.files["dcolo-complaint-first-page.pdf"]
    page = browser.new_page()
    response = page.goto(f"{site}/page/{document_id}/1.png")
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    rendered = pymupdf.Pixmap(response.body())
    with pymupdf.open(Path(__file__).parent.parent / "samples" / "dcolo-complaint-first-page.pdf") as pdf:
        expected = pdf[0].get_pixmap(dpi=PAGE_DPI)
    assert (rendered.width, rendered.height) == (expected.width, expected.height)
    assert page.goto(f"{site}/page/{document_id}/9.png").status == 404
