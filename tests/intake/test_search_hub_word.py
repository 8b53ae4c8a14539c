"""Staff search asks the full-text index for "these words in this hub" (issue 13)."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.urls import reverse

from intake import services
from intake.models import SEARCH_HUB_WORD_PREFIX, Inquiry
from intake.selectors import hub_search_document
from tests.factories import DraftFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")]


def send(hub, title):
    draft = DraftFactory(hub=hub, title=title)
    return services.inquiry_submit(inquiry=draft, by=draft.submitter)


def test_the_searched_document_carries_its_hubs_word_and_only_that_one(hub, other_hub):
    mine = send(hub, "Remote monitoring of heart failure")
    document = (Inquiry.objects.filter(pk=mine.pk).annotate(document=hub_search_document())
                .values_list("document", flat=True).get())
    words = {part.split(":")[0].strip("'") for part in document.split()}
    assert f"{SEARCH_HUB_WORD_PREFIX}{hub.pk}" in words
    assert f"{SEARCH_HUB_WORD_PREFIX}{other_hub.pk}" not in words
    assert {"remot", "monitor"} <= words


def test_the_searched_document_is_the_indexed_expression(hub):
    # The selector's expression must be the migration's, word for word, or PostgreSQL cannot use the index.
    send(hub, "Remote monitoring of heart failure")
    query = SearchQuery("remote", config="english") & SearchQuery(f"{SEARCH_HUB_WORD_PREFIX}{hub.pk}",
                                                                   search_type="raw", config="simple")
    rows = Inquiry.objects.annotate(document=hub_search_document()).filter(document=query).values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = rows.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "inquiry_search_hub_gin" in plan, plan


def test_a_search_finds_this_hubs_matches_ranked_and_never_another_hubs(lead_client, hub, other_hub):
    other_words = send(hub, "Falls sensors")  # the factory's text may mention monitoring: ranked lower
    in_title = send(hub, "Remote monitoring for COPD")
    elsewhere = send(other_hub, "Remote monitoring for COPD")
    response = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": "remote monitoring"})
    found = [i.reference for i in response.context["page"].object_list]
    assert found[0] == in_title.reference  # the title counts most
    assert elsewhere.reference not in found
    assert set(found) <= {in_title.reference, other_words.reference}
    assert Inquiry.objects.filter(pk=elsewhere.pk, search_vector__isnull=False).exists()


def test_a_search_of_only_stop_words_finds_nothing_rather_than_the_whole_hub(lead_client, hub):
    send(hub, "The remote monitoring of the heart")
    response = lead_client.get(reverse("intake:staff_inquiry_list", args=[hub.slug]), {"q": "the and"})
    assert list(response.context["page"].object_list) == []
    assert "<strong>0</strong> inquiries" in response.content.decode()
