"""The hub's navigation on every staff page (templates/jinja2/intake/staff/_hub_nav.html).

Its fifteen links are reversed once per hub and script prefix in a process, not fifteen times a page:
reversing a URL is Django's slowest template tag, and this nav is on every staff page (issue 13).
"""

from functools import lru_cache

from django.urls import get_script_prefix, reverse

# (the page's `current` key, the link's words, the URL's name, for hub leads only)
HUB_NAV = (
    ("dashboard", "Dashboard", "intake:staff_dashboard", False),
    ("list", "All inquiries", "intake:staff_inquiry_list", False),
    ("record", "Record an inquiry", "intake:staff_inquiry_record", False),
    ("email", "Arrived by email", "intake:staff_mailbox", False),
    ("stages", "Stage board", "adoption:board", False),
    ("directory", "Directory", "partners:staff_directory", False),
    ("referrals", "Referrals", "signposting:hub_referrals", False),
    ("metrics", "Metrics", "intake:staff_metrics", False),
    ("value_report", "Value report", "adoption:value_report", False),
    ("emails", "Failed emails", "hubportal:staff_failed_emails", False),
    ("api_tokens", "API tokens", "hubportal:staff_api_tokens", False),
    ("webhook_failures", "Failed deliveries", "hubportal:staff_webhook_failures", False),
    ("channels", "Channels", "hubportal:staff_webhooks", True),
    ("embed", "Intranet widget", "signposting:embed_settings", False),
    ("settings", "Settings", "hubportal:settings", False),
)


def hub_nav_links(slug: str) -> tuple[tuple[str, str, str, bool], ...]:
    """(current key, words, address, leads only) for each link of this hub's navigation."""
    return _links(slug, get_script_prefix())


@lru_cache(maxsize=512)
def _links(slug: str, prefix: str) -> tuple[tuple[str, str, str, bool], ...]:
    return tuple((key, words, reverse(name, args=[slug]), lead_only) for key, words, name, lead_only in HUB_NAV)
