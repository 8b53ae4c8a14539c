"""The NHS.UK tag colour of an inquiry's or a referral's status, for Django's templates and the Jinja2
partials alike."""

from django import template

register = template.Library()


@register.filter
def status_colour(status):
    """Inquiry.STATUS_TAG_COLOURS[status]; white for a status it does not know."""
    from intake.models import Inquiry

    return Inquiry.STATUS_TAG_COLOURS.get(status, "white")


@register.filter
def referral_status_colour(status):
    """Referral.STATUS_TAG_COLOURS[status]; grey for a status it does not give (closed)."""
    from signposting.models import Referral

    return Referral.STATUS_TAG_COLOURS.get(status, "grey")
