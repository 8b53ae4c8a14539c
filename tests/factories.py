import factory
from django.utils import timezone

from hubportal.models import Hub, HubMembership, User
from intake.models import Inquiry


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@nhs.net")
    full_name = factory.Faker("name", locale="en_GB")


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Test Hub {n}")
    code = factory.Sequence(lambda n: "T" + chr(65 + (n // 26) % 26) + chr(65 + n % 26))
    slug = factory.Sequence(lambda n: f"test-hub-{n}")
    email = factory.Sequence(lambda n: f"hub{n}@example.nhs.uk")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HubMembership

    hub = factory.SubFactory(HubFactory)
    user = factory.SubFactory(UserFactory)
    role = HubMembership.Role.LEAD


class DraftFactory(factory.django.DjangoModelFactory):
    """A draft with every required answer given: ready for "Check your answers"."""

    class Meta:
        model = Inquiry

    submitter = factory.SubFactory(UserFactory)
    hub = factory.SubFactory(HubFactory)
    kind_of_help = "new_idea"
    title = factory.Sequence(lambda n: f"Virtual ward monitoring {n}")
    problem = "Patients wait in hospital for observations that could be done at home."
    proposed_innovation = "A remote monitoring kit with a clinician dashboard."
    who_benefits = "Patients with heart failure and ward staff."
    innovation_type = "digital"
    stage = "piloted"
    evidence = "A three-month pilot on one ward."
    support_needed = ["evaluation", "funding"]
    themes = ["health_inequalities"]
    contact_name = "Jo Bloggs"
    organisation = "Dorset County Hospital NHS Foundation Trust"
    role = "Ward manager"
    consent_share_with_partners = True
    consent_contact = True


class SubmittedFactory(DraftFactory):
    status = Inquiry.Status.SUBMITTED
    reference = factory.Sequence(lambda n: f"TST-2026-{n:05d}")
    submitted_at = factory.LazyFunction(timezone.now)
