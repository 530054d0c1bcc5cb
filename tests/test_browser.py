"""The browser the security and site tests rely on really runs script: without this, "no script ran"
in those tests could pass on a browser that runs none."""


def test_chromium_runs_a_pages_script(browser, tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<title>x</title><p id=a>static</p><script>document.getElementById('a').textContent='ran'</script>"
    )
    browser.get(page.as_uri())
    assert browser.find_element("id", "a").text == "ran"
