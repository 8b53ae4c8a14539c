"""Project-wide request checks and response headers.

Small, one job each, listed in settings.MIDDLEWARE with the reason for their place in the order.
"""

from django.http import Http404, HttpResponseBadRequest

NUL = "\x00"


class RefuseNulCharactersMiddleware:
    """A NUL character in the address is a 404, and in the query string a 400.

    No address or filter of ours contains one, and PostgreSQL refuses a string with NUL in it
    ("A string literal cannot contain NUL characters"), so any view that looks the value up would
    otherwise fail with a 500. Form fields already refuse NUL (Django's ProhibitNullCharactersValidator);
    this covers URL parts (`<str:reference>`) and query parameters read without a form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path:
            raise Http404("No page has this address")
        if any(NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("Bad request: the address contains a NUL character.",
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)
