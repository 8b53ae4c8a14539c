"""`{% jinja "intake/staff/_inquiry_rows.html" rows=page.object_list today=today %}`: a Jinja2 partial
(templates/jinja2/) inside a Django template, given only the names passed (hubportal/jinja.py).

`{% jinja_with_context "intake/staff/_case.html" %}`: the same, given the whole context (the view's and
the context processors'), for a page whose body is the partial."""

from django import template

from hubportal.jinja import render_partial

register = template.Library()


@register.simple_tag
def jinja(template_name, **context):
    return render_partial(template_name, context)


@register.simple_tag(takes_context=True)
def jinja_with_context(context, template_name):
    return render_partial(template_name, context.flatten())
