"""Reads on inquiries, each scoped to who is asking."""

from django.db.models import Count
from django.shortcuts import get_object_or_404

from .models import Attachment, Inquiry


def inquiry_list_for_submitter(*, user):
    return (
        Inquiry.objects.filter(submitter=user)
        .select_related("hub")
        .annotate(attachment_count=Count("attachments"))
        .order_by("-updated_at")
    )


def inquiry_get_for_submitter(*, user, public_id):
    """The submitter's own inquiry, or 404: another person's inquiry is indistinguishable from none."""
    return get_object_or_404(Inquiry.objects.select_related("hub"), public_id=public_id, submitter=user)


def attachment_get_for_submitter(*, user, public_id):
    return get_object_or_404(Attachment.objects.select_related("inquiry"), public_id=public_id,
                             inquiry__submitter=user)
