"""Emails about cases in support: one small function per email. Links, never the inquiry's content."""

from django.conf import settings
from django.urls import reverse

from hubportal.outbox import outbound_email_queue


def case_url(case):
    return settings.SITE_URL + reverse("adoption:case", args=[case.hub.slug, case.inquiry.reference])


def benefit_link_url(raw_token):
    return settings.SITE_URL + reverse("adoption:benefit_link", args=[raw_token])


def benefit_actuals_request(*, follow_up, raw_token, reminder):
    """To the sponsor: the follow-up is due; a single-use link to record the actuals."""
    case = follow_up.case
    return outbound_email_queue(
        key=f"follow-up:{follow_up.pk}:{'remind' if reminder else 'request'}",
        to=case.sponsor_email,
        template="benefit_actuals_request",
        context={"reference": case.inquiry.reference, "months": follow_up.months, "reminder": reminder,
                 "sponsor_name": case.sponsor_name, "link_url": benefit_link_url(raw_token),
                 "due_on": follow_up.due_on.isoformat()},
        hub=case.hub,
        has_secret=True,
    )


def survey_url(survey):
    return settings.SITE_URL + reverse("adoption:survey", args=[survey.case.inquiry.public_id])


def survey_request(*, survey, reminder):
    """To the submitter: the case has ended; how did the hub do? (they sign in to answer)."""
    case = survey.case
    return outbound_email_queue(
        key=f"survey:{survey.pk}:{'remind' if reminder else 'request'}",
        to=case.inquiry.submitter.email,
        template="survey_request",
        context={"reference": case.inquiry.reference, "survey_url": survey_url(survey), "reminder": reminder},
        hub=case.hub,
    )


def _reminder(*, key, to, subject, message, link_url, link_text, hub):
    return outbound_email_queue(key=key, to=to, template="reminder", hub=hub, context={
        "subject": subject, "message": message, "link_url": link_url, "link_text": link_text})


def reminder_milestone(*, reminder, milestone, person, overdue):
    case = milestone.case
    when = "is overdue" if overdue else "is due today"
    return _reminder(
        key=f"reminder:{reminder.pk}:{person.pk}", to=person.email, hub=case.hub,
        subject=f"Milestone on {case.inquiry.reference} {when}",
        message=f"The milestone \u201c{milestone.title}\u201d (owner: {milestone.owner_name}) was due on "
                f"{milestone.due_on:%-d %B %Y} and is not marked as reached.",
        link_url=case_url(case), link_text="Open the case")


def reminder_case_review(*, reminder, case, person):
    return _reminder(
        key=f"reminder:{reminder.pk}:{person.pk}", to=person.email, hub=case.hub,
        subject=f"Review {case.inquiry.reference}: {case.get_status_display().lower()} until today",
        message=f"The case {case.inquiry.reference} in {case.stage.name} was {case.get_status_display().lower()} "
                f"until {case.review_on:%-d %B %Y}. Decide at the gate: progress, hold, park or stop.",
        link_url=case_url(case), link_text="Open the case")
