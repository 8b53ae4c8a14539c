"""Demo data: the four Adopting Innovation hubs, organisations in their areas, a lead per hub.

Safe to run again: it updates what it made rather than adding more.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from hubportal.models import Hub, HubMembership, HubOrganisation, User

DEMO_PASSWORD = "demo-password-change-me"  # noqa: S105 - printed for local demos only

HUBS = [
    {
        "code": "BDC", "slug": "bradford-district-craven", "name": "Bradford District & Craven Innovation Hub",
        "area_description": "Bradford District and Craven Health and Care Partnership",
        "email": "innovation.bdc@example.nhs.uk",
        "lead": ("lead.bdc@example.nhs.uk", "Amira Hussain"),
        "organisations": [
            "Bradford Teaching Hospitals NHS Foundation Trust", "Airedale NHS Foundation Trust",
            "Bradford District Care NHS Foundation Trust", "City of Bradford Metropolitan District Council",
            "North Yorkshire Council (Craven)",
        ],
    },
    {
        "code": "CAP", "slug": "cambridgeshire-peterborough", "name": "Cambridgeshire & Peterborough Innovation Hub",
        "area_description": "Cambridgeshire and Peterborough Integrated Care System",
        "email": "innovation.cap@example.nhs.uk",
        "lead": ("lead.cap@example.nhs.uk", "Tom Gallagher"),
        "organisations": [
            "Cambridge University Hospitals NHS Foundation Trust", "North West Anglia NHS Foundation Trust",
            "Royal Papworth Hospital NHS Foundation Trust", "Cambridgeshire and Peterborough NHS Foundation Trust",
            "Cambridgeshire Community Services NHS Trust", "Cambridgeshire and Peterborough ICB",
        ],
    },
    {
        "code": "DOR", "slug": "dorset", "name": "Dorset Innovation Hub",
        "area_description": "Our Dorset Integrated Care System",
        "email": "innovation.dorset@example.nhs.uk",
        "lead": ("lead.dorset@example.nhs.uk", "Sarah Whitfield"),
        "organisations": [
            "Dorset County Hospital NHS Foundation Trust", "University Hospitals Dorset NHS Foundation Trust",
            "Dorset HealthCare University NHS Foundation Trust", "NHS Dorset", "Dorset Council",
            "Bournemouth, Christchurch and Poole Council",
        ],
    },
    {
        "code": "MAN", "slug": "manchester", "name": "Manchester Innovation Hub",
        "area_description": "Greater Manchester Integrated Care Partnership",
        "email": "innovation.manchester@example.nhs.uk",
        "lead": ("lead.manchester@example.nhs.uk", "Kwame Mensah"),
        "organisations": [
            "Manchester University NHS Foundation Trust", "Northern Care Alliance NHS Foundation Trust",
            "The Christie NHS Foundation Trust", "Greater Manchester Mental Health NHS Foundation Trust",
            "Stockport NHS Foundation Trust", "NHS Greater Manchester", "Manchester City Council",
        ],
    },
]
ADMIN = ("admin@example.nhs.uk", "Demo Administrator")

# The checklists the hubs used (Health Foundation evaluation of the Adopting Innovation hubs):
# (question, guidance, weight, scale, allow n/a, follow-up answer, follow-up).
CHECKLISTS = {
    "MAN": ("manchester-triage", "Manchester triage checklist", [
        ("Is it relevant: digital and innovative for Greater Manchester?", "", 3, "yes_partly_no", False, "", ""),
        ("Does it work with our systems (interoperability)?", "Standards such as FHIR, NHS login, GP Connect.",
         2, "yes_partly_no", True, "no", "Ask the digital team to review integration options"),
        ("What is its potential impact?", "On outcomes, experience, cost or capacity.", 3, "score_1_5", False, "", ""),
        ("Is it digitally inclusive?", "Usable by people with low digital skills or access.", 2, "rag", False,
         "red", "Plan a digital inclusion assessment"),
        ("Does it process patient data?", "Answer yes if any personal data about patients is processed.",
         1, "yes_no", False, "yes", "A DPIA is needed"),
        ("Does it meet cyber security requirements?", "DSPT, DTAC or equivalent assurance.", 2, "yes_partly_no",
         True, "no", "Request DTAC evidence from the supplier"),
        ("Is there a route to procurement?", "Framework, existing contract or a compliant process.", 1,
         "yes_partly_no", True, "no", "Talk to procurement before any pilot"),
        ("Are information governance requirements met?", "Data sharing agreements, lawful basis.", 2,
         "yes_partly_no", True, "no", "Refer to the IG team"),
    ]),
    "CAP": ("cambridgeshire-triage", "Cambridgeshire & Peterborough prioritisation", [
        ("Is it proven?", "Evidence of effect from a pilot or elsewhere.", 2, "yes_partly_no", False, "", ""),
        ("Is it a system priority?", "In the ICS joint forward plan or a priority programme.", 3, "yes_partly_no",
         False, "", ""),
        ("Does it address health inequalities?", "Core20PLUS5 populations or clinical areas.", 3, "yes_partly_no",
         False, "no", "Complete a health inequalities impact assessment"),
    ]),
    # Bradford District & Craven and Dorset: illustrative, built from the themes of their hubs' triage
    # (system priorities, evidence, inequalities, the data and money needed), so every demo hub has one.
    "BDC": ("bradford-triage", "Bradford District & Craven triage", [
        ("Does it fit a priority of the Act as One programmes?", "Our partnership's shared priorities.", 3,
         "yes_partly_no", False, "", ""),
        ("How strong is the evidence?", "From an idea (1) to proven elsewhere with an evaluation (5).", 2,
         "score_1_5", False, "", ""),
        ("Does it reduce health inequalities?", "Core20PLUS5, and the communities of Bradford and Craven.", 3,
         "yes_partly_no", False, "no", "Complete a health inequalities impact assessment"),
        ("Is it digitally inclusive?", "Usable by people with low digital skills or access.", 2, "rag", True,
         "red", "Plan a digital inclusion assessment"),
        ("Does it process patient data?", "Answer yes if any personal data about patients is processed.", 1,
         "yes_no", False, "yes", "A DPIA is needed"),
    ]),
    "DOR": ("dorset-triage", "Dorset innovation triage", [
        ("Does it support an Our Dorset priority?", "Prevention at scale, integrated community and primary care, "
         "or one acute care system.", 3, "yes_partly_no", False, "", ""),
        ("Is there a clinical or service sponsor?", "A named person who will lead it in the service.", 2,
         "yes_no", False, "no", "Find a sponsor before taking it further"),
        ("How strong is the evidence?", "From an idea (1) to proven elsewhere with an evaluation (5).", 2,
         "score_1_5", False, "", ""),
        ("Is there a route to funding it after a pilot?", "A budget holder, a business case or a national "
         "programme.", 2, "yes_partly_no", True, "no", "Talk to finance about a sustainable funding route"),
        ("Are information governance requirements met?", "Data sharing agreements, lawful basis, DTAC.", 2,
         "yes_partly_no", True, "no", "Refer to the IG team"),
    ]),
}


class Command(BaseCommand):
    help = "Load (or refresh) the demo hubs, organisations, hub leads and an administrator."

    @transaction.atomic
    def handle(self, *args, **options):
        for spec in HUBS:
            hub, _ = Hub.objects.update_or_create(
                code=spec["code"],
                defaults={key: spec[key] for key in ("slug", "name", "area_description", "email")},
            )
            for name in spec["organisations"]:
                HubOrganisation.objects.get_or_create(hub=hub, name=name)
            email, full_name = spec["lead"]
            lead = self._user(email, full_name)
            HubMembership.objects.update_or_create(hub=hub, user=lead, defaults={"role": HubMembership.Role.LEAD})
        for code, (slug, name, criteria) in CHECKLISTS.items():
            self._checklist(Hub.objects.get(code=code), slug, name, criteria)
        admin = self._user(*ADMIN)
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {len(HUBS)} hubs."))
        # The demo directory and resources belong to partners and signposting; their loader is theirs.
        from devtools.demo_directory import load as load_directory

        load_directory(stdout=self.stdout)

    def _checklist(self, hub, slug, name, criteria):
        from intake.models import Checklist, Criterion

        checklist, _ = Checklist.objects.update_or_create(hub=hub, slug=slug, defaults={"name": name})
        for position, (question, guidance, weight, scale, na, follow_answer, follow_text) in enumerate(criteria):
            Criterion.objects.update_or_create(checklist=checklist, position=position, defaults={
                "question": question, "guidance": guidance, "weight": weight, "scale": scale,
                "allow_not_applicable": na, "follow_up_answer": follow_answer, "follow_up_text": follow_text})

    def _user(self, email, full_name):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = User.objects.filter(email=email).first() or User.objects.create_user(email)
        user.full_name = full_name
        user.set_password(DEMO_PASSWORD)
        user.save()
        # A confirmed authenticator, so `manage.py demo_code EMAIL` can print its current code.
        TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "Demo authenticator"})
        return user
