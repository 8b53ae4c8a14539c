from django.apps import AppConfig


class HubportalConfig(AppConfig):
    name = "hubportal"
    verbose_name = "Hubs, people and outbound email"

    def ready(self):
        # Register the emailed-link flows (hubportal.links) the kernel owns: submitters' sign-in and
        # staff invitations. Services can then be called before any URL is resolved.
        from . import dataprot_views, personal_data, retention, staff_views, views  # noqa: F401
