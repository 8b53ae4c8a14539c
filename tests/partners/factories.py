from datetime import timedelta

import factory
from django.utils import timezone

from partners.models import Partner, PartnerContact, PartnerService
from signposting.models import Resource, RoutingRule


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner organisation {n}")
    kind = "hin"
    description = "Helps innovators."
    website = "https://partner.example.org/"

    @factory.post_generation
    def hubs(self, create, extracted, **kwargs):
        if create and extracted:
            self.hubs.set(extracted)


class PartnerServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerService

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    support_needs = factory.LazyFunction(lambda: ["evaluation"])
    themes = factory.LazyFunction(list)
    innovation_types = factory.LazyFunction(list)
    stages = factory.LazyFunction(list)


class PartnerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerContact

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example.org")
    receives_referrals = True


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    title = factory.Sequence(lambda n: f"Resource {n}")
    url = factory.Sequence(lambda n: f"https://resources.example.org/{n}")
    kind = "guidance"
    summary = "Useful."
    support_needs = factory.LazyFunction(lambda: ["evaluation"])
    review_due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    action = "add"
