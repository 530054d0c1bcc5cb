"""A photo article in headless Chromium, at a desktop's and a phone's width: the pictures load from their
renditions (the browser picks WebP), they fit the column, and the page never scrolls sideways. Screenshots
go to /work/cache/photos (or $PHOTOS_SCREENSHOTS) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import csp_violations
from local_site import local_site
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from test_images import SLUG, article, photo

SHOTS = Path(os.environ.get("PHOTOS_SCREENSHOTS", "/work/cache/photos"))


@pytest.fixture(scope="module")
def site():
    with local_site() as running:
        running.drop("harbour/harbour.jpg", photo(2600, 1600))  # wider than the widest rendition
        running.drop("harbour/boats.png", photo(700, 400, "PNG"))
        running.drop("harbour/index.md", article())
        yield running


@pytest.mark.parametrize(("width", "mobile"), [(1280, False), (390, True)], ids=["desktop", "phone"])
def test_a_photo_article_loads_its_pictures_and_fits_the_screen(site, browser, width, mobile):
    # Headless Chromium will not make a window narrower than 500 px: a phone's width is emulated.
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile},
    )
    csp_violations(browser)  # empties the log
    browser.get(site.url(f"/{SLUG}/"))
    images = browser.find_elements(By.CSS_SELECTOR, "article picture img")
    assert len(images) == 2
    for image in images:  # the body image is lazy: bring it into view so that it loads
        browser.execute_script("arguments[0].scrollIntoView()", image)
        WebDriverWait(browser, 30).until(
            lambda d, image=image: d.execute_script("return arguments[0].complete", image),
            message="the picture to load",
        )
    loaded = [
        browser.execute_script("return [arguments[0].naturalWidth, arguments[0].currentSrc]", i)
        for i in images
    ]
    assert all(natural > 0 for natural, _ in loaded), loaded
    assert all("/media/" in src and src.endswith(".webp") for _, src in loaded), loaded  # WebP chosen
    lead = images[0]
    column = browser.find_element(By.CSS_SELECTOR, "article.article").rect["width"]
    assert 0 < lead.rect["width"] <= column
    # the reserved box has the photo's proportions (width/height attributes): no shift when it arrives
    assert abs(lead.rect["height"] / lead.rect["width"] - 1600 / 2600) < 0.01
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= viewport, f"{width}px: the page is {page_width}px wide"
    assert csp_violations(browser) == []  # served under the production CSP: pictures and markup pass it
    browser.execute_script("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"photo-article-{width}.png"))
