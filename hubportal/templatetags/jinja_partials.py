"""`{% jinja "intake/staff/_inquiry_rows.html" rows=page.object_list today=today %}`: a Jinja2 partial
(templates/jinja2/) inside a Django template, given only the names passed (hubportal/jinja.py)."""

from django import template

from hubportal.jinja import render_partial

register = template.Library()


@register.simple_tag
def jinja(template_name, **context):
    return render_partial(template_name, context)
