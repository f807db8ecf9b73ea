import pytest
from conftest import session_for

@pytest.mark.e2e
def test_scratch(site, acme):
    ctx = site.browser.new_context(device_scale_factor=3, base_url=site.url)
    ctx.add_cookies([{"name": "sessionid", "value": session_for(acme.owner), "url": site.url}])
    page = ctx.new_page()
    acme.owner.language = "fa"; acme.owner.save()
    page.goto("/")
    page.locator("form .btn-group").screenshot(path="/tmp/e2e-shots/scratch-lang-fa.png")
    print(page.evaluate("getComputedStyle(document.querySelector('button[value=th]')).fontFamily"))
    ctx.close()
