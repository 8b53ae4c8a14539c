"""A hub lead lists their intranet, and the widget then shows inside a page of that site and of no other
(the browser enforces the CSP frame-ancestors the portal sends). assert_accessible runs axe-core and the
320 px reflow check on each page."""

import http.server
import socket
import threading

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from hubportal.models import HubMembership
from tests.factories import UserFactory
from tests.partners.factories import ResourceFactory

from .conftest import assert_accessible, new_page
from .test_triage_journey import PASSWORD, staff_sign_in

pytestmark = pytest.mark.browser


class _Intranet:
    """An intranet page on its own origin (127.0.0.1 and a port of its own) that frames the widget."""

    def __init__(self, widget_url):
        body = (f'<!DOCTYPE html><html lang="en"><head><title>Trust intranet</title></head><body><main>'
                f'<h1>Trust intranet</h1><iframe id="w" src="{widget_url}" title="Innovation hub" '
                f'width="600" height="600"></iframe></main></body></html>').encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.origin = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def lead(demo_hubs):
    user = UserFactory(email="lead.dorset@example.nhs.uk", full_name="Sarah Whitfield")
    user.set_password(PASSWORD)
    user.save()
    HubMembership.objects.create(hub=demo_hubs["DOR"], user=user, role=HubMembership.Role.LEAD)
    ResourceFactory(title="Evaluation toolkit", hub=demo_hubs["DOR"], support_needs=["evaluation"])
    return {"user": user, "device": TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)}


def _widget_frame(browser, intranet):
    """The intranet page in a fresh browser: (page, the widget's frame or None when the browser refused
    it, the CSP refusals the browser logged)."""
    page, refusals = new_page(browser)  # a refused frame is logged as a CSP message: that is the point
    page.goto(intranet.origin + "/")
    frame_element = page.locator("#w")
    expect(frame_element).to_be_visible()
    frame = page.frame_locator("#w")
    try:
        frame.get_by_role("heading", name="Bring us your innovation question").wait_for(timeout=3000)
        return page, frame, refusals
    except Exception:
        return page, None, refusals


def test_the_widget_shows_only_inside_the_intranet_the_hub_lists(page, browser, live_server, lead):
    intranet = _Intranet(f"{live_server.url}/embed/dorset/")
    try:
        # Before the lead lists the intranet, the browser refuses to show the widget in it.
        other, frame, refusals = _widget_frame(browser, intranet)
        assert frame is None
        assert any("frame-ancestors" in message for message in refusals), refusals
        other.context.close()

        staff_sign_in(page, "lead.dorset@example.nhs.uk", lead["device"])
        expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
        page.get_by_role("link", name="Intranet widget").click()
        expect(page.get_by_role("heading", level=1, name="Intranet widget")).to_be_visible()
        assert_accessible(page)

        # A bad address is explained next to the field and what was typed stays.
        page.get_by_label("Web addresses of the intranet sites").fill("intranet.dchft.nhs.uk/news")
        page.get_by_role("button", name="Save sites").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        expect(page.get_by_label("Web addresses of the intranet sites")).to_have_value("intranet.dchft.nhs.uk/news")
        assert_accessible(page)

        page.get_by_label("Web addresses of the intranet sites").fill(intranet.origin)
        page.get_by_role("button", name="Save sites").click()
        expect(page.get_by_text("The sites that may show the widget are saved")).to_be_visible()
        expect(page.get_by_text('<iframe src="', exact=False)).to_be_visible()

        # Now the intranet shows it, and a search inside the frame works.
        inside, frame, refusals = _widget_frame(browser, intranet)
        assert frame is not None and refusals == []
        frame.get_by_label("What do you need help with?").select_option("evaluation")
        frame.get_by_role("button", name="Show resources").click()
        expect(frame.get_by_role("link", name="Evaluation toolkit (opens in a new tab)")).to_be_visible()
        expect(frame.get_by_role("link", name="Start an inquiry (opens in a new tab)")).to_have_attribute(
            "target", "_blank")
        inside.context.close()

        # The widget on its own page: accessible and no sideways scrolling on a phone.
        page.goto("/embed/dorset/?help=evaluation")
        expect(page.get_by_role("heading", level=1, name="Bring us your innovation question")).to_be_visible()
        assert_accessible(page)
    finally:
        intranet.close()
