"""The list and the dashboard link each inquiry to its case page by an address reversed once a page."""

import pytest
from django.urls import reverse

from intake import services
from tests.factories import DraftFactory


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["intake:staff_inquiry_list", "intake:staff_dashboard"])
def test_every_listed_inquiry_links_to_its_own_case_page(lead_client, hub, page):
    sent = [services.inquiry_submit(inquiry=draft, by=draft.submitter) for draft in DraftFactory.create_batch(3, hub=hub)]
    html = lead_client.get(reverse(page, args=[hub.slug])).content.decode()
    for inquiry in sent:
        assert f'<a href="{reverse("intake:staff_inquiry", args=[hub.slug, inquiry.reference])}">{inquiry.reference}</a>' in html
    assert "REFERENCE-SLOT" not in html
