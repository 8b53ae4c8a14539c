from tests.signposting.conftest import (  # noqa: F401 - the Dorset world of the signposting tests
    inquiry,
    other_partner,
    other_partner_client,
    other_partner_contact,
    partner,
    partner_client,
    partner_contact,
)
