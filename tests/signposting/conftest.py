import pytest

from tests.factories import SubmittedFactory
from tests.partners.conftest import (  # noqa: F401 - fixtures shared with tests/partners
    other_partner,
    other_partner_client,
    other_partner_contact,
    partner,
    partner_client,
    partner_contact,
)


@pytest.fixture
def inquiry(submitter, hub):
    """Jo Bloggs's submitted inquiry to Dorset: evaluation and funding, consented to sharing."""
    return SubmittedFactory(submitter=submitter, hub=hub, reference="DOR-2026-00001", title="Virtual ward pilot",
                            kind_of_help="evaluation", support_needed=["evaluation", "funding"],
                            themes=["health_inequalities"], stage="piloted", innovation_type="digital")
