"""tag_bits: the national tags of a service or resource as bits of one integer, which the matcher tests
with `&` (issue 13). Rows store the positions, so they must agree with tag_index and never move."""

import importlib

import pytest
from django.apps import apps

from hubportal.models import HubTheme
from hubportal.taxonomy import InnovationType, Stage, SupportNeed, Theme
from partners.fields import TAG_BIT_ORDER, TAG_BITS, tag_bits
from partners.models import PartnerService
from signposting.models import Resource

from .factories import PartnerServiceFactory, ResourceFactory

NATIONAL_TAGS = {f"{prefix}:{code}" for prefix, taxonomy in (
    ("need", SupportNeed), ("theme", Theme), ("type", InnovationType), ("stage", Stage)) for code in taxonomy.values}


def test_every_national_code_has_a_bit_of_its_own_within_a_signed_64_bit_integer():
    assert set(TAG_BIT_ORDER) == NATIONAL_TAGS
    assert len(TAG_BIT_ORDER) == len(NATIONAL_TAGS) <= 63


def test_the_stored_bit_positions_never_move():
    # Rows in every database hold these positions: a new code may only be added after the last one.
    assert TAG_BIT_ORDER[:35] == (
        "need:evaluation", "need:funding", "need:procurement", "need:information_governance", "need:digital",
        "need:ppie", "need:project_management", "need:partners", "need:adoption", "need:regulatory",
        "theme:health_inequalities", "theme:core20", "theme:maternity", "theme:severe_mental_illness",
        "theme:chronic_respiratory", "theme:early_cancer_diagnosis", "theme:hypertension", "theme:prevention",
        "theme:urgent_care", "theme:elective_recovery", "theme:workforce", "theme:net_zero",
        "theme:digital_inclusion", "type:digital", "type:medical_device", "type:diagnostic", "type:medicine",
        "type:pathway", "type:workforce", "type:other", "stage:idea", "stage:developing", "stage:piloted",
        "stage:in_use_here", "stage:proven_elsewhere",
    )


def test_a_hubs_own_theme_has_no_bit_and_stays_in_the_tag_index_only():
    index = "|need:funding|theme:local-dor-frailty|stage:idea|"
    assert tag_bits(index) == TAG_BITS["need:funding"] | TAG_BITS["stage:idea"]
    assert tag_bits("") == 0


@pytest.mark.django_db
def test_saving_a_service_or_a_resource_keeps_its_bits_with_its_tag_index(hub):
    HubTheme.objects.create(hub=hub, code="local-dor-frailty", label="Frailty")
    service = PartnerServiceFactory(support_needs=["evaluation", "ppie"], themes=["core20", "local-dor-frailty"],
                                    innovation_types=["digital"], stages=["piloted"])
    assert PartnerService.objects.values_list("tag_bits", flat=True).get(pk=service.pk) == (
        TAG_BITS["need:evaluation"] | TAG_BITS["need:ppie"] | TAG_BITS["theme:core20"] | TAG_BITS["type:digital"]
        | TAG_BITS["stage:piloted"])

    service.support_needs = ["regulatory"]
    service.save(update_fields=["support_needs"])  # the bits are saved with the field that changed
    service.refresh_from_db()
    assert service.tag_bits == tag_bits(service.tag_index) == (
        TAG_BITS["need:regulatory"] | TAG_BITS["theme:core20"] | TAG_BITS["type:digital"] | TAG_BITS["stage:piloted"])

    resource = ResourceFactory(support_needs=["funding"], themes=["net_zero"], stages=["proven_elsewhere"])
    resource.refresh_from_db()
    # The last position, the highest bit, survives the round trip through the database.
    assert resource.tag_bits == TAG_BITS["need:funding"] | TAG_BITS["theme:net_zero"] | (1 << 34)


@pytest.mark.django_db
def test_the_migrations_give_existing_rows_the_bits_of_their_tag_index():
    service = PartnerServiceFactory(support_needs=["adoption"], themes=["maternity"])
    resource = ResourceFactory(support_needs=["digital"], innovation_types=["medicine"])
    PartnerService.objects.update(tag_bits=0)  # as the column's default leaves rows made before it
    Resource.objects.update(tag_bits=0)

    for module in ("partners.migrations.0004_service_tag_bits", "signposting.migrations.0008_resource_tag_bits"):
        importlib.import_module(module).fill_tag_bits(apps, None)

    service.refresh_from_db()
    resource.refresh_from_db()
    assert service.tag_bits == TAG_BITS["need:adoption"] | TAG_BITS["theme:maternity"]
    assert resource.tag_bits == TAG_BITS["need:digital"] | TAG_BITS["type:medicine"]
