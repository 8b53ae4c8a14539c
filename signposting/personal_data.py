"""What signposting holds about a person, for subject access and erasure (hubportal.personal_data),
and its part of anonymising an inquiry (intake.retention).

Partner contacts: the questions they asked the hub and the answers they gave on referrals. Submitters:
which partners their inquiries were referred to (the inquiry itself is intake's export). On erasure,
intake ends sharing (event "erased"), which closes each open referral and tells its partner; here the
plan says so beforehand, and anonymising blanks the free text written about the inquiry.
"""

from hubportal.personal_data import Eraser, PlanLine, register_eraser, register_exporter
from intake.retention import register_anonymise

from .models import Referral, ReferralQuestion

REMOVED = "Removed when the inquiry was anonymised."


def anonymise(*, inquiry_ids):
    """Messages to partners, their reasons and outcome details, and their questions are free text about
    the inquiry: blanked. The coded status, reasons and outcomes stay for the figures."""
    Referral.objects.filter(inquiry_id__in=inquiry_ids).update(message="", decline_details="", outcome_details="")
    ReferralQuestion.objects.filter(referral__inquiry_id__in=inquiry_ids).update(body=REMOVED)


def export(*, email, user):
    questions = [{"inquiry": q.referral.inquiry.reference, "partner": q.referral.partner.name,
                  "question": q.body, "asked_at": q.asked_at}
                 for q in ReferralQuestion.objects.filter(asked_by_email__iexact=email)
                 .select_related("referral__inquiry", "referral__partner").order_by("asked_at")]
    answers = []
    for referral in (Referral.objects.filter(accepted_by__email__iexact=email)
                     | Referral.objects.filter(declined_by__email__iexact=email)
                     | Referral.objects.filter(completed_by__email__iexact=email)).select_related(
            "inquiry", "partner").distinct().order_by("sent_at"):
        answers.append({"inquiry": referral.inquiry.reference, "partner": referral.partner.name,
                        "status": referral.get_status_display(), "decline_reason": referral.get_decline_reason_display(),
                        "decline_details": referral.decline_details, "outcome": referral.get_outcome_display(),
                        "outcome_details": referral.outcome_details})
    referred = []
    if user is not None:
        referred = [{"inquiry": r.inquiry.reference, "partner": r.partner.name, "status": r.get_status_display(),
                     "sent_at": r.sent_at}
                    for r in Referral.objects.filter(inquiry__submitter=user).select_related("inquiry", "partner")
                    .order_by("sent_at")]
    return {"your_inquiries_referred_to": referred, "questions_you_asked_as_a_partner": questions,
            "referrals_you_answered_as_a_partner": answers}, []


def erasure_plan(*, user, hub):
    lines = []
    referrals = (Referral.objects.filter(inquiry__submitter=user, inquiry__hub=hub, inquiry__anonymised_at__isnull=True,
                                         inquiry__legal_hold_reason="")
                 .select_related("inquiry", "partner").order_by("sent_at"))
    for referral in referrals:
        what = f"Referral of {referral.inquiry.reference} to {referral.partner.name}"
        if referral.is_open:
            lines.append(PlanLine(what, "closed", f"{referral.partner.name} is told the referral is closed and "
                                                  "can no longer open the inquiry here."))
        elif referral.shares_inquiry:
            lines.append(PlanLine(what, "kept", f"{referral.partner.name} already worked on it: what they keep "
                                                "in their own records is theirs to erase; ask them directly."))
    return lines


def _nothing(**kwargs):
    return None  # intake's erasure ends sharing, which closes the referrals (signposting/lifecycle.py)


def register():
    register_anonymise(anonymise)
    register_exporter("referrals", export)
    register_eraser("signposting", Eraser(plan=erasure_plan, erase=_nothing, hubs=lambda **kwargs: set()))
