from tests.partners.conftest import partner, partner_contact  # noqa: F401 - fixtures for the emailed-link tests
