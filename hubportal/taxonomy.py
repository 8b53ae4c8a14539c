"""The shared taxonomy: the words an inquiry, a partner's service and a resource are tagged with.

It lives in the kernel because intake (inquiries), partners (services) and signposting (resources,
the matcher) must all use the same codes. Codes are stored; labels may be reworded freely.
"""

from django.db import models


class KindOfHelp(models.TextChoices):
    NEW_IDEA = "new_idea", "I have a new idea"
    ADOPT_PROVEN = "adopt_proven", "I want to adopt an innovation that has worked elsewhere"
    PROBLEM = "problem", "I have a problem and I am looking for a solution"
    EVALUATION = "evaluation", "I need help with evaluation"
    FUNDING = "funding", "I need help with funding or a bid"
    PROCUREMENT = "procurement", "I need help with procurement"
    INFORMATION_GOVERNANCE = "information_governance", "I need help with information governance"
    DIGITAL = "digital", "I need help with digital or interoperability"
    PPIE = "ppie", "I need help with patient and public involvement"
    PROJECT_MANAGEMENT = "project_management", "I need help with project management"


class InnovationType(models.TextChoices):
    DIGITAL = "digital", "Digital (software, app, data or AI)"
    MEDICAL_DEVICE = "medical_device", "Medical device"
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    MEDICINE = "medicine", "Medicine"
    PATHWAY = "pathway", "Pathway or service model"
    WORKFORCE = "workforce", "Workforce or training"
    OTHER = "other", "Something else"


class Stage(models.TextChoices):
    IDEA = "idea", "An idea: not yet developed or tested"
    DEVELOPING = "developing", "Being developed or prototyped"
    PILOTED = "piloted", "Piloted or tested on a small scale"
    IN_USE_HERE = "in_use_here", "In use in my organisation"
    PROVEN_ELSEWHERE = "proven_elsewhere", "Proven and in use elsewhere"


class Sector(models.TextChoices):
    """Where the person who submits works (issue 10); the metrics break inquiries down by it."""

    NHS = "nhs", "The NHS"
    SOCIAL_CARE = "social_care", "Social care"
    LOCAL_AUTHORITY = "local_authority", "A local authority (council)"
    VCSE = "vcse", "The voluntary, community or social enterprise sector (VCSE)"
    ACADEMIA = "academia", "A university or research institute"
    INDUSTRY = "industry", "Industry (a company)"
    OTHER = "other", "Somewhere else"


class SupportNeed(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation and evidence"
    FUNDING = "funding", "Funding and bid writing"
    PROCUREMENT = "procurement", "Procurement"
    INFORMATION_GOVERNANCE = "information_governance", "Information governance and data protection"
    DIGITAL = "digital", "Digital and interoperability"
    PPIE = "ppie", "Patient and public involvement"
    PROJECT_MANAGEMENT = "project_management", "Project management"
    PARTNERS = "partners", "Finding partners (industry, academic, council, voluntary sector)"
    ADOPTION = "adoption", "Spreading and adopting at scale"
    REGULATORY = "regulatory", "Regulation and clinical safety"


class Theme(models.TextChoices):
    HEALTH_INEQUALITIES = "health_inequalities", "Reducing health inequalities"
    CORE20 = "core20", "Core20: the most deprived 20% of the population"
    MATERNITY = "maternity", "Maternity care"
    SEVERE_MENTAL_ILLNESS = "severe_mental_illness", "Severe mental illness"
    CHRONIC_RESPIRATORY = "chronic_respiratory", "Chronic respiratory disease"
    EARLY_CANCER_DIAGNOSIS = "early_cancer_diagnosis", "Early cancer diagnosis"
    HYPERTENSION = "hypertension", "Hypertension and lipid management"
    PREVENTION = "prevention", "Prevention and population health"
    URGENT_CARE = "urgent_care", "Urgent and emergency care"
    ELECTIVE_RECOVERY = "elective_recovery", "Elective recovery and waiting lists"
    WORKFORCE = "workforce", "Workforce wellbeing and productivity"
    NET_ZERO = "net_zero", "Net zero and sustainability"
    DIGITAL_INCLUSION = "digital_inclusion", "Digital inclusion"


def labels(choices, codes):
    """The labels of stored codes, in the order given, skipping codes no longer in the taxonomy."""
    lookup = dict(choices.choices)
    return [lookup[code] for code in codes if code in lookup]


# --- Issue 10: a hub's local priority themes, beside the national ones ----------------------------------
# National codes are the Theme class above, fixed in code; local ones are HubTheme rows, whose codes all
# start with HubTheme.LOCAL_PREFIX. Everything that offers or shows themes asks these functions.


def is_local_theme(code) -> bool:
    return isinstance(code, str) and code.startswith("local-")


def theme_choices(hub=None):
    """What a submitter (or a filter) may choose: the national themes, then the hub's active local ones.
    Without a hub: the national ones only."""
    choices = list(Theme.choices)
    if hub is not None and getattr(hub, "pk", None):
        from .models import HubTheme

        choices += list(HubTheme.objects.filter(hub=hub, is_active=True).values_list("code", "label"))
    return choices


def all_theme_choices():
    """Every theme anything may be tagged with: national, then every hub's active local ones (a partner
    may serve several hubs)."""
    from .models import HubTheme

    return list(Theme.choices) + [(code, f"{label} ({hub})") for code, label, hub in
                                  HubTheme.objects.filter(is_active=True, hub__is_active=True)
                                  .values_list("code", "label", "hub__name")]


def theme_lookup(hub=None):
    """Code -> label for showing stored themes: national ones, and the hub's local ones, retired too."""
    lookup = dict(Theme.choices)
    if hub is not None and getattr(hub, "pk", None):
        from .models import HubTheme

        lookup.update(HubTheme.objects.filter(hub=hub).values_list("code", "label"))
    return lookup


def theme_labels(hub, codes):
    lookup = theme_lookup(hub)
    return [lookup[code] for code in codes if code in lookup]
