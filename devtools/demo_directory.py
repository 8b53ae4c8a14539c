"""Demo data: a realistic directory of partners for the four demo hubs, resources (national and per hub)
and each hub's routing rules. Called by `manage.py load_demo` after it has made the hubs.

Safe to run again: every record is found by its natural key and updated, never duplicated. Dates are
relative to today, so funding calls stay open in a demo. National resources point at real public pages;
the hub-local resources and every contact address are invented for the demo (example domains).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from hubportal.models import Hub
from partners.models import Partner, PartnerContact, PartnerService
from signposting.models import Resource, RoutingRule

ALL = "*"  # serves every hub

# name, type, hubs, website, description, contact (name, email), services:
#   (name, support needs, themes, innovation types, stages, area served)
PARTNERS = [
    ("Health Innovation Wessex", "hin", ["DOR"], "https://healthinnovationwessex.org.uk/",
     "The Health Innovation Network for Wessex: spreads proven innovation across Dorset, Hampshire and the Isle of Wight.",
     ("Priya Natarajan", "referrals@wessex.hin.example.org"),
     [("Adoption and spread support", ["adoption", "partners", "evaluation"], ["health_inequalities", "urgent_care"],
       [], ["piloted", "in_use_here", "proven_elsewhere"], "Wessex"),
      ("Real-world evaluation", ["evaluation"], [], [], ["piloted", "in_use_here"], "Wessex")]),
    ("Health Innovation Yorkshire & Humber", "hin", ["BDC"], "https://www.healthinnovationyh.org.uk/",
     "The Health Innovation Network for Yorkshire and the Humber.",
     ("Daniel Okafor", "referrals@yh.hin.example.org"),
     [("Innovation adoption programme", ["adoption", "partners", "regulatory"], ["health_inequalities", "prevention"],
       [], ["piloted", "proven_elsewhere"], "Yorkshire and the Humber"),
      ("Industry navigation", ["partners", "procurement"], [], ["digital", "medical_device", "diagnostic"],
       ["developing", "piloted"], "Yorkshire and the Humber")]),
    ("Health Innovation East", "hin", ["CAP"], "https://healthinnovationeast.co.uk/",
     "The Health Innovation Network for the East of England.",
     ("Helen Marsh", "referrals@east.hin.example.org"),
     [("Adoption and spread", ["adoption", "evaluation", "partners"], ["elective_recovery", "chronic_respiratory"],
       [], ["piloted", "proven_elsewhere"], "East of England"),
      ("Innovator support", ["funding", "regulatory", "partners"], [], ["digital", "medical_device", "diagnostic"],
       ["idea", "developing"], "East of England")]),
    ("Health Innovation Manchester", "hin", ["MAN"], "https://healthinnovationmanchester.com/",
     "Greater Manchester's academic health science and innovation system.",
     ("Adebayo Lawal", "referrals@manchester.hin.example.org"),
     [("Digital transformation and adoption", ["adoption", "digital", "evaluation"], ["hypertension", "digital_inclusion"],
       ["digital", "pathway"], ["piloted", "in_use_here", "proven_elsewhere"], "Greater Manchester")]),
    ("NIHR Research Support Service", "research", ALL, "https://www.nihr.ac.uk/",
     "Free advice on designing research and evaluation, and on applying for NIHR funding.",
     ("RSS enquiries", "enquiries@rss.nihr.example.org"),
     [("Research and bid design advice", ["evaluation", "funding", "ppie"], [], [], ["idea", "developing", "piloted"],
       "England")]),
    ("Bournemouth University", "university", ["DOR"], "https://www.bournemouth.ac.uk/",
     "Health and social sciences research, evaluation and student project partnerships.",
     ("Dr Emma Clarke", "health.partnerships@bournemouth.example.ac.uk"),
     [("Evaluation partnerships", ["evaluation", "partners"], ["prevention", "workforce"], [],
       ["developing", "piloted", "in_use_here"], "Dorset")]),
    ("University of Bradford", "university", ["BDC"], "https://www.bradford.ac.uk/",
     "Digital health, pharmacy and health inequalities research.",
     ("Dr Samir Qureshi", "health.innovation@bradford.example.ac.uk"),
     [("Digital health evaluation", ["evaluation", "digital"], ["health_inequalities", "digital_inclusion"],
       ["digital"], ["developing", "piloted"], "Bradford District and Craven")]),
    ("Bradford Institute for Health Research", "research", ["BDC"], "https://www.bradfordresearch.nhs.uk/",
     "Applied health research hosted by Bradford Teaching Hospitals, home of Born in Bradford.",
     ("Research office", "research.office@bihr.example.nhs.uk"),
     [("Applied research and evaluation", ["evaluation", "ppie", "funding"], ["health_inequalities", "core20", "maternity"],
       [], ["idea", "developing", "piloted"], "Bradford")]),
    ("Anglia Ruskin University Health Innovation", "university", ["CAP"], "https://www.aru.ac.uk/",
     "Medical technology research, prototyping and evaluation.",
     ("Dr Clare Whitmore", "medtech@aru.example.ac.uk"),
     [("MedTech prototyping and testing", ["evaluation", "regulatory", "partners"], [],
       ["medical_device", "diagnostic"], ["idea", "developing"], "Cambridgeshire and Peterborough")]),
    ("University of Manchester", "university", ["MAN"], "https://www.manchester.ac.uk/",
     "Health data science, evaluation and clinical trials.",
     ("Dr Nadia Rahman", "health.innovation@manchester.example.ac.uk"),
     [("Health data science evaluation", ["evaluation", "digital", "information_governance"], ["hypertension"],
       ["digital"], ["piloted", "in_use_here"], "Greater Manchester")]),
    ("Public Health Dorset", "council", ["DOR"], "https://www.publichealthdorset.org.uk/",
     "The public health team of Dorset Council and BCP Council.",
     ("Mark Fielding", "innovation@publichealth.dorset.example.gov.uk"),
     [("Population health and prevention partnership", ["partners", "evaluation"], ["prevention", "health_inequalities"],
       [], [], "Dorset")]),
    ("City of Bradford Metropolitan District Council", "council", ["BDC"], "https://www.bradford.gov.uk/",
     "Adult social care and public health partnerships.",
     ("Rachel Hirst", "health.partnerships@bradford.example.gov.uk"),
     [("Social care and public health partnership", ["partners", "procurement"], ["prevention", "core20"], [], [],
       "Bradford District")]),
    ("Cambridgeshire County Council", "council", ["CAP"], "https://www.cambridgeshire.gov.uk/",
     "Public health, adult social care and digital inclusion.",
     ("Owen Price", "health.innovation@cambridgeshire.example.gov.uk"),
     [("Public health and social care partnership", ["partners"], ["prevention", "digital_inclusion"], [], [],
       "Cambridgeshire")]),
    ("Manchester City Council", "council", ["MAN"], "https://www.manchester.gov.uk/",
     "Population health and adult social care.",
     ("Gemma Doyle", "population.health@manchester.example.gov.uk"),
     [("Population health partnership", ["partners"], ["prevention", "health_inequalities", "core20"], [], [],
       "Manchester")]),
    ("Dorset Community Action", "vcse", ["DOR"], "https://www.dorsetcommunityaction.org.uk/",
     "Support for Dorset's voluntary and community sector, and a route to community groups.",
     ("Lucy Hammond", "partnerships@dorsetcommunityaction.example.org"),
     [("Connecting with community groups", ["partners", "ppie"], ["health_inequalities", "digital_inclusion"], [], [],
       "Dorset")]),
    ("Community Action Bradford & District", "vcse", ["BDC"], "https://cabad.org.uk/",
     "The infrastructure body for Bradford's voluntary, community and faith sector.",
     ("Imran Hussain", "info@cabad.example.org"),
     [("Community partnerships", ["partners", "ppie"], ["health_inequalities", "core20"], [], [], "Bradford District")]),
    ("Support Cambridgeshire", "vcse", ["CAP"], "https://www.supportcambridgeshire.org.uk/",
     "Support for voluntary and community groups across Cambridgeshire and Peterborough.",
     ("Jo Brennan", "hello@supportcambridgeshire.example.org"),
     [("Community partnerships", ["partners", "ppie"], ["digital_inclusion", "prevention"], [], [],
       "Cambridgeshire and Peterborough")]),
    ("Macc", "vcse", ["MAN"], "https://www.manchestercommunitycentral.org/",
     "Manchester's local infrastructure organisation for voluntary and community groups.",
     ("Tariq Ahmed", "info@macc.example.org"),
     [("Community partnerships", ["partners", "ppie"], ["health_inequalities", "core20"], [], [], "Manchester")]),
    ("Healthwatch Dorset", "ppie", ["DOR"], "https://www.healthwatchdorset.co.uk/",
     "The independent champion for people who use health and care services in Dorset.",
     ("Engagement team", "engagement@healthwatchdorset.example.org"),
     [("Patient and public involvement", ["ppie"], ["health_inequalities", "maternity", "severe_mental_illness"], [], [],
       "Dorset")]),
    ("Healthwatch Bradford and District", "ppie", ["BDC"], "https://www.healthwatchbradford.co.uk/",
     "The independent voice of people using health and care in Bradford, Airedale, Wharfedale and Craven.",
     ("Engagement team", "engagement@healthwatchbradford.example.org"),
     [("Patient and public involvement", ["ppie"], ["health_inequalities", "core20"], [], [], "Bradford District")]),
    ("Healthwatch Cambridgeshire and Peterborough", "ppie", ["CAP"], "https://www.healthwatchcambspboro.co.uk/",
     "The independent voice of people using health and care in Cambridgeshire and Peterborough.",
     ("Engagement team", "engagement@healthwatchcp.example.org"),
     [("Patient and public involvement", ["ppie"], ["health_inequalities"], [], [], "Cambridgeshire and Peterborough")]),
    ("Healthwatch Manchester", "ppie", ["MAN"], "https://healthwatchmanchester.co.uk/",
     "The independent voice of people using health and care in Manchester.",
     ("Engagement team", "engagement@healthwatchmanchester.example.org"),
     [("Patient and public involvement", ["ppie"], ["health_inequalities", "severe_mental_illness"], [], [],
       "Manchester")]),
    ("NHS Dorset Information Governance team", "nhs", ["DOR"], "https://nhsdorset.nhs.uk/",
     "The integrated care board's information governance and data protection team.",
     ("Karen Lowe", "ig.team@dorset.icb.example.nhs.uk"),
     [("Information governance and DPIA advice", ["information_governance", "digital"], [], ["digital"], [], "Dorset")]),
    ("NHS Dorset Digital and Procurement", "nhs", ["DOR"], "https://nhsdorset.nhs.uk/",
     "Digital, interoperability and procurement support for innovations in Dorset's NHS.",
     ("Chris Barker", "digital.procurement@dorset.icb.example.nhs.uk"),
     [("Digital and interoperability", ["digital", "procurement"], ["net_zero"], ["digital"], ["piloted", "proven_elsewhere"],
       "Dorset")]),
    ("Bradford District and Craven Digital team", "nhs", ["BDC"], "https://bdcpartnership.co.uk/",
     "Digital, data and information governance for the health and care partnership.",
     ("Sana Malik", "digital@bdc.icb.example.nhs.uk"),
     [("Digital, data and IG support", ["digital", "information_governance", "project_management"], ["digital_inclusion"],
       ["digital"], [], "Bradford District and Craven")]),
    ("Cambridgeshire and Peterborough ICB Procurement", "nhs", ["CAP"], "https://www.cpics.org.uk/",
     "Procurement and contracting advice for innovations adopted in the ICS.",
     ("Alan Porter", "procurement@cap.icb.example.nhs.uk"),
     [("Procurement and contracting advice", ["procurement", "project_management"], [], [],
       ["proven_elsewhere", "in_use_here"], "Cambridgeshire and Peterborough")]),
    ("NHS Greater Manchester Digital", "nhs", ["MAN"], "https://gmintegratedcare.org.uk/",
     "Digital, interoperability and information governance for Greater Manchester's NHS.",
     ("Ruth Kendall", "digital@gm.icb.example.nhs.uk"),
     [("Digital, interoperability and IG", ["digital", "information_governance"], ["digital_inclusion"], ["digital"], [],
       "Greater Manchester")]),
    ("MedTech Innovators Network (demo)", "industry", ["CAP", "MAN"], "",
     "A demo industry network that connects NHS teams with medical technology companies.",
     ("Network manager", "network@medtech.example.com"),
     [("Industry matchmaking", ["partners", "adoption"], [], ["medical_device", "diagnostic", "digital"],
       ["developing", "piloted"], "East of England and the North West")]),
]

# title, kind, hub code (None: national), url, summary, provider, support needs, themes, types, stages, deadline in days
RESOURCES = [
    ("Evidence standards framework for digital health technologies", "guidance", None,
     "https://www.nice.org.uk/corporate/ecd7", "What evidence a digital health technology needs, by its function and risk.",
     "NICE", ["evaluation", "regulatory"], [], ["digital"], [], None),
    ("Digital Technology Assessment Criteria (DTAC)", "toolkit", None,
     "https://transform.england.nhs.uk/key-tools-and-info/digital-technology-assessment-criteria-dtac/",
     "The national baseline for clinical safety, data protection, technical security, interoperability and usability.",
     "NHS England", ["digital", "information_governance", "regulatory", "procurement"], [], ["digital"], [], None),
    ("Data Security and Protection Toolkit", "toolkit", None, "https://www.dsptoolkit.nhs.uk/",
     "The self-assessment every organisation with access to NHS patient data must complete.",
     "NHS England", ["information_governance"], [], [], [], None),
    ("Data protection impact assessments", "guidance", None,
     "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/accountability-and-governance/data-protection-impact-assessments-dpias/",
     "When you need a DPIA and how to carry one out.", "Information Commissioner's Office",
     ["information_governance"], [], ["digital"], [], None),
    ("The Magenta Book: guidance on evaluation", "guidance", None,
     "https://www.gov.uk/government/publications/the-magenta-book",
     "Central government guidance on designing and running evaluations.", "HM Treasury",
     ["evaluation"], [], [], ["piloted", "in_use_here"], None),
    ("NIHR funding opportunities", "guidance", None, "https://www.nihr.ac.uk/researchers/funding-opportunities",
     "Open and upcoming NIHR research and innovation funding calls.", "NIHR", ["funding", "evaluation"], [], [], [], None),
    ("Invention for Innovation (i4i) Product Development Awards", "funding_call", None,
     "https://www.nihr.ac.uk/", "Funding to develop medical devices, diagnostics and digital technologies towards adoption.",
     "NIHR", ["funding"], [], ["medical_device", "diagnostic", "digital"], ["developing", "piloted"], 75),
    ("SBRI Healthcare competitions", "funding_call", None, "https://sbrihealthcare.co.uk/",
     "Contracts for companies to develop innovations that meet NHS needs.", "SBRI Healthcare",
     ["funding", "procurement"], [], ["digital", "medical_device", "diagnostic"], ["idea", "developing"], 40),
    ("Q community", "community", None, "https://q.health.org.uk/",
     "A community of people working to improve health and care across the UK and Ireland.", "The Health Foundation",
     ["partners", "adoption", "project_management"], ["workforce"], [], [], None),
    ("Procurement Act 2023 guidance", "guidance", None,
     "https://www.gov.uk/government/collections/procurement-act-2023-guidance-documents",
     "How public bodies buy goods and services under the Procurement Act 2023.", "Cabinet Office",
     ["procurement"], [], [], ["proven_elsewhere", "in_use_here"], None),
    ("Guidance on working in partnership with people and communities", "guidance", None,
     "https://www.england.nhs.uk/get-involved/involvementguidance/",
     "Statutory guidance on involving patients and the public.", "NHS England", ["ppie"], ["health_inequalities"], [], [],
     None),
    ("Learning for Involvement", "training", None, "https://www.learningforinvolvement.org.uk/",
     "Free learning resources on public involvement in health research.", "NIHR", ["ppie"], [], [], [], None),
    ("Medical devices regulation and safety", "guidance", None,
     "https://www.gov.uk/topic/medicines-medical-devices-blood/medical-devices-regulation-safety",
     "How medical devices are regulated in the UK.", "MHRA", ["regulatory"], [], ["medical_device", "diagnostic"], [],
     None),
    ("Core20PLUS5: reducing healthcare inequalities", "guidance", None,
     "https://www.england.nhs.uk/about/equality/equality-hub/national-healthcare-inequalities-improvement-programme/core20plus5/",
     "The national approach to reducing healthcare inequalities.", "NHS England", [],
     ["health_inequalities", "core20"], [], [], None),
    ("Quality, service improvement and redesign (QSIR)", "training", None,
     "https://www.england.nhs.uk/sustainableimprovement/qsir-programme/",
     "Improvement tools and training for planning and running change.", "NHS England",
     ["project_management", "adoption"], [], ["pathway"], [], None),
    ("Inclusive digital healthcare: a framework for NHS action on digital inclusion", "guidance", None,
     "https://www.england.nhs.uk/long-read/inclusive-digital-healthcare-a-framework-for-nhs-action-on-digital-inclusion/",
     "How to make digital health services work for everyone.", "NHS England", ["digital"], ["digital_inclusion"],
     ["digital"], [], None),
    ("Greener NHS: suppliers and net zero", "guidance", None, "https://www.england.nhs.uk/greenernhs/get-involved/suppliers/",
     "What the NHS net zero supplier roadmap asks of suppliers.", "NHS England", ["procurement"], ["net_zero"], [], [],
     None),
    # Hub-local (invented for the demo).
    ("Dorset information governance checklist for innovators", "toolkit", "DOR",
     "https://frontdoor.example.nhs.uk/dorset/ig-checklist", "The questions NHS Dorset's IG team will ask, and how to prepare.",
     "Dorset Innovation Hub", ["information_governance"], [], ["digital"], [], None),
    ("Dorset evaluation clinic", "training", "DOR", "https://frontdoor.example.nhs.uk/dorset/evaluation-clinic",
     "A monthly drop-in with Bournemouth University evaluators.", "Dorset Innovation Hub", ["evaluation"], [], [],
     ["developing", "piloted"], 30),
    ("Wessex innovation small grants", "funding_call", "DOR", "https://frontdoor.example.nhs.uk/dorset/small-grants",
     "Grants of up to £20,000 to pilot innovations in Wessex.", "Health Innovation Wessex", ["funding"],
     ["health_inequalities"], [], ["idea", "developing", "piloted"], 55),
    ("Bradford digital inclusion toolkit", "toolkit", "BDC", "https://frontdoor.example.nhs.uk/bradford/digital-inclusion",
     "Making digital services work for Bradford's communities.", "Bradford District & Craven Innovation Hub",
     ["digital"], ["digital_inclusion", "health_inequalities"], ["digital"], [], None),
    ("Case study: community-led blood pressure checks", "case_study", "BDC",
     "https://frontdoor.example.nhs.uk/bradford/bp-checks", "How a Bradford pilot reached people who rarely see a GP.",
     "Bradford District & Craven Innovation Hub", ["adoption"], ["hypertension", "core20"], ["pathway"],
     ["proven_elsewhere"], None),
    ("Cambridgeshire adoption playbook", "toolkit", "CAP", "https://frontdoor.example.nhs.uk/cambridgeshire/adoption",
     "Is it proven, is it a system priority, does it address inequalities: a guide to adopting innovation here.",
     "Cambridgeshire & Peterborough Innovation Hub", ["adoption", "procurement"], ["elective_recovery"], [],
     ["proven_elsewhere"], None),
    ("Health Innovation East: innovation fund", "funding_call", "CAP",
     "https://frontdoor.example.nhs.uk/cambridgeshire/innovation-fund", "Funding to spread proven innovations in the East.",
     "Health Innovation East", ["funding", "adoption"], [], [], ["piloted", "proven_elsewhere"], 60),
    ("Greater Manchester digital innovation checklist", "toolkit", "MAN",
     "https://frontdoor.example.nhs.uk/manchester/digital-checklist",
     "Relevance, interoperability, impact, digital inclusivity, data protection, cyber security, procurement and IG.",
     "Manchester Innovation Hub", ["digital", "information_governance", "procurement"], ["digital_inclusion"], ["digital"], [],
     None),
    ("Greater Manchester innovation community of practice", "community", "MAN",
     "https://frontdoor.example.nhs.uk/manchester/community", "Monthly meet-ups of innovators across Greater Manchester.",
     "Manchester Innovation Hub", ["partners", "adoption"], [], [], [], None),
    # Examples of what is no longer offered (see admin's "offered" filter).
    ("Winter pressures innovation call 2025", "funding_call", None, "https://frontdoor.example.nhs.uk/winter-2025",
     "A closed call, kept to show that past deadlines stop being offered.", "Demo", ["funding"], ["urgent_care"], [], [],
     -30),
    ("Innovation readiness self-assessment (2023 edition)", "toolkit", None,
     "https://frontdoor.example.nhs.uk/readiness-2023", "Kept to show that a resource past its review date is not offered.",
     "Demo", ["adoption", "evaluation"], [], [], [], None),
]
# Past their review date, so not offered until someone checks them.
OVERDUE_REVIEW = {"Innovation readiness self-assessment (2023 edition)"}

# hub, name, action, target partner, support needs, themes, types, stages, weight
RULES = [
    ("DOR", "Every information governance question in Dorset goes to NHS Dorset's IG team", "add",
     "NHS Dorset Information Governance team", ["information_governance"], [], [], [], 20),
    ("MAN", "Adoption at scale in Greater Manchester starts with Health Innovation Manchester", "boost",
     "Health Innovation Manchester", ["adoption"], [], [], [], 10),
    ("BDC", "Health inequalities work in Bradford goes through the Bradford Institute for Health Research", "boost",
     "Bradford Institute for Health Research", [], ["health_inequalities", "core20"], [], [], 8),
    ("CAP", "Industry matchmaking is not offered for ideas not yet developed", "exclude",
     "MedTech Innovators Network (demo)", [], [], [], ["idea"], 0),
]


def _load_partners(hubs, today):
    partners = {}
    for name, kind, hub_codes, website, description, (contact_name, contact_email), services in PARTNERS:
        partner, _ = Partner.objects.update_or_create(name=name, defaults={
            "kind": kind, "website": website, "description": description, "is_active": True,
            "serves_all_hubs": hub_codes == ALL, "assured_on": today - timedelta(days=30),
            "assurer_email": "directory@frontdoor.example.nhs.uk"})
        if hub_codes != ALL:
            partner.hubs.set([hubs[c] for c in hub_codes if c in hubs])
        for service_name, needs, themes, types, stages, area in services:
            PartnerService.objects.update_or_create(partner=partner, name=service_name, defaults={
                "support_needs": needs, "themes": themes, "innovation_types": types, "stages": stages,
                "area_served": area, "status": "active", "assured_on": today - timedelta(days=30),
                "assurer_email": "directory@frontdoor.example.nhs.uk",
                "description": f"{service_name} from {name}."})
        PartnerContact.objects.update_or_create(partner=partner, email=contact_email, defaults={
            "name": contact_name, "receives_referrals": True, "is_lead": True, "is_active": True})
        partners[name] = partner
    return partners


def _load_resources(hubs, today):
    resources = {}
    for (title, kind, hub_code, url, summary, provider, needs, themes, types, stages, deadline_days) in RESOURCES:
        hub = hubs.get(hub_code) if hub_code else None
        if hub_code and hub is None:
            continue
        resource, _ = Resource.objects.update_or_create(title=title, hub=hub, defaults={
            "kind": kind, "url": url, "summary": summary, "provider": provider, "support_needs": needs,
            "themes": themes, "innovation_types": types, "stages": stages, "is_active": True,
            "deadline": today + timedelta(days=deadline_days) if deadline_days is not None else None,
            "review_due_on": today + timedelta(days=-1 if title in OVERDUE_REVIEW else 180),
            "last_reviewed_on": today - timedelta(days=10)})
        resources[title] = resource
    return resources


@transaction.atomic
def load(stdout=None):
    """Load (or refresh) the demo directory, resources and routing rules for the hubs that exist."""
    today = timezone.localdate()
    hubs = {hub.code: hub for hub in Hub.objects.all()}
    partners = _load_partners(hubs, today)
    resources = _load_resources(hubs, today)
    rules = 0
    for hub_code, name, action, partner_name, needs, themes, types, stages, weight in RULES:
        if hub_code not in hubs:
            continue
        RoutingRule.objects.update_or_create(hub=hubs[hub_code], name=name, defaults={
            "action": action, "partner": partners[partner_name], "resource": None, "support_needs": needs,
            "themes": themes, "innovation_types": types, "stages": stages, "weight": weight, "is_active": True})
        rules += 1
    if stdout is not None:
        stdout.write(f"Signposting demo loaded: {len(partners)} partners, {len(resources)} resources, {rules} "
                     f"routing rules. Partner contacts sign in at /partner/sign-in/ (e.g. "
                     f"ig.team@dorset.icb.example.nhs.uk).")
    return {"partners": len(partners), "resources": len(resources), "rules": rules}
