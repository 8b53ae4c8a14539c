import pytest

from intake.models import Inquiry
from intake.validators import find_nhs_numbers, is_valid_nhs_number
from tests.factories import DraftFactory


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "9876543210"])
def test_it_accepts_numbers_that_pass_the_modulus_11_check(number):
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize("number", ["9434765918", "1234567890", "123456789", "12345678901", "abcdefghij"])
def test_it_rejects_numbers_that_fail_the_check_or_the_shape(number):
    assert not is_valid_nhs_number(number)


def test_it_finds_nhs_numbers_written_in_the_usual_ways():
    text = "Patient 943 476 5919 and 943-476-5919 and 9434765919 were seen."
    assert find_nhs_numbers(text) == ["943 476 5919", "943-476-5919", "9434765919"]


def test_it_ignores_digits_that_are_not_a_valid_nhs_number_or_part_of_a_longer_number():
    assert find_nhs_numbers("Call 01632 960 001, order 94347659190, budget 1234567890") == []


@pytest.mark.django_db
def test_the_journey_refuses_to_save_free_text_with_an_nhs_number(submitter_client, submitter):
    draft = DraftFactory(submitter=submitter, problem="")
    url = f"/inquiries/{draft.public_id}/questions/problem/"
    typed = "Mrs Smith, NHS number 943 476 5919, waited 9 hours"
    response = submitter_client.post(url, {"problem": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Remove the NHS number from your answer" in body
    assert typed in body  # shown back so they can edit it, not saved
    assert Inquiry.objects.get(pk=draft.pk).problem == ""
