"""Who saw what, enumerated: every URL of the access table, requested as every kind of actor other than
the submitter, against an inquiry whose personal fields hold unique markers. A page that shows any
marker must be listed in hubportal.access.PERSONAL_DATA and write one access log row per view; a listed
page must write one. So a new page that renders an inquiry's personal data without calling
inquiry_access_record fails here, whoever adds it.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from hubportal import access
from intake.access_log import access_log_for_submitter
from intake.models import Inquiry
from tests.test_access_matrix import REQUESTS, client_as, world  # noqa: F401, F811 - the shared world fixture

# The submitter's personal data: who they are and their own words. (References, titles, statuses and
# organisation names are what list pages show; they are not markers, and list pages are not logged.)
MARKERS = {
    "contact_name": "Marker Contactname Qzx",
    "role": "Marker Role Qzx",
    "phone": "07700 900 911",
    "problem": "Marker problem text Qzx",
    "proposed_innovation": "Marker innovation text Qzx",
    "evidence": "Marker evidence text Qzx",
    "who_benefits": "Marker who benefits Qzx",
}
SUBMITTER_EMAIL = "jo.bloggs@nhs.net"
ATTACHMENT_BYTES = b"%PDF-1.4"
LOOKERS = [a for a in access.ACTORS if a not in (access.SUBMITTER, access.ANONYMOUS)]


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _shows_personal_data(body: bytes) -> list[str]:
    text = body.decode(errors="replace")
    found = [field for field, marker in MARKERS.items() if marker in text]
    if SUBMITTER_EMAIL in text:
        found.append("submitter email")
    if body.startswith(ATTACHMENT_BYTES):
        found.append("attachment")
    return found


@pytest.mark.django_db
def test_every_page_that_shows_an_inquirys_personal_data_records_who_saw_it(world):  # noqa: F811
    Inquiry.objects.filter(pk=world.inquiry.pk).update(**MARKERS)
    submitter = world.inquiry.submitter
    problems, logged = [], set()
    for name in sorted(access.ACCESS):
        rule = access.ACCESS[name]
        for actor in LOOKERS:
            if rule.expected(actor) != access.OK:
                continue
            client = client_as(actor, world)
            with transaction.atomic():
                # Views of any of the person's inquiries (an adoption case is another inquiry of theirs),
                # as the access log answers it: one per inquiry, a batch's row once for each it lists.
                before = {(seen.access.pk, seen.inquiry.pk) for seen in access_log_for_submitter(submitter)}
                method, path = REQUESTS[name](world)
                response = getattr(client, method)(path)
                shown = _shows_personal_data(_body(response))
                views = [seen for seen in access_log_for_submitter(submitter)
                         if (seen.access.pk, seen.inquiry.pk) not in before]
                rows = [seen.access for seen in views]
                transaction.set_rollback(True)
            if shown and name not in access.PERSONAL_DATA and name not in access.PERSONAL_DATA_NOT_AN_INQUIRY:
                problems.append(f"{name} as {actor} shows {shown} but is not in access.PERSONAL_DATA")
            if name in access.PERSONAL_DATA:
                want = access.PERSONAL_DATA[name]
                # One row per inquiry of theirs on the page: one for a case page, one each in an export.
                per_inquiry = [seen.inquiry.pk for seen in views]
                if not rows or len(set(per_inquiry)) != len(per_inquiry) \
                        or not all(r.what.startswith(want) for r in rows):
                    problems.append(f"{name} as {actor}: wanted one '{want}' row, got {[r.what for r in rows]}")
                else:
                    logged.add(name)
            elif rows:
                problems.append(f"{name} as {actor} wrote {len(rows)} access rows but is not in access.PERSONAL_DATA")
    assert problems == [], "\n".join(problems)
    # Every registered page was requested by someone allowed to see it, and logged.
    assert logged == set(access.PERSONAL_DATA)
