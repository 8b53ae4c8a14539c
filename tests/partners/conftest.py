"""People and organisations of the directory, shared by tests/partners and tests/signposting."""

import time

import pytest

from partners.permissions import SESSION_KEY

from .factories import PartnerContactFactory, PartnerFactory, PartnerServiceFactory


def sign_in_partner(client, email):
    """A browser session as the partner sign-in link leaves it."""
    session = client.session
    session[SESSION_KEY] = {"email": email, "at": time.time()}
    session.save()
    return client


@pytest.fixture
def partner(db, hub):
    """Health Innovation Wessex: takes the Dorset hub's referrals for evaluation and adoption."""
    wessex = PartnerFactory(name="Health Innovation Wessex", kind="hin", hubs=[hub],
                            website="https://healthinnovationwessex.org.uk/")
    PartnerServiceFactory(partner=wessex, name="Real-world evaluation", support_needs=["evaluation"],
                          stages=["piloted"])
    PartnerServiceFactory(partner=wessex, name="Adoption and spread", support_needs=["adoption"],
                          themes=["health_inequalities"])
    return wessex


@pytest.fixture
def partner_contact(partner):
    return PartnerContactFactory(partner=partner, name="Priya Natarajan", email="priya@wessex.example.org",
                                 is_lead=True)


@pytest.fixture
def other_partner(db, hub):
    """Bournemouth University: also takes Dorset's referrals (for evaluation)."""
    university = PartnerFactory(name="Bournemouth University", kind="university", hubs=[hub])
    PartnerServiceFactory(partner=university, name="Evaluation partnerships", support_needs=["evaluation"])
    return university


@pytest.fixture
def other_partner_contact(other_partner):
    return PartnerContactFactory(partner=other_partner, name="Emma Clarke", email="emma@bournemouth.example.ac.uk")


@pytest.fixture
def partner_client(client, partner_contact):
    return sign_in_partner(client, partner_contact.email)


@pytest.fixture
def other_partner_client(client, other_partner_contact):
    return sign_in_partner(client, other_partner_contact.email)
