"""The NHS.UK tag colour of an inquiry's status, for Django's templates and the Jinja2 rows alike."""

from django import template

register = template.Library()


@register.filter
def status_colour(status):
    """Inquiry.STATUS_TAG_COLOURS[status]; white for a status it does not know."""
    from intake.models import Inquiry

    return Inquiry.STATUS_TAG_COLOURS.get(status, "white")
