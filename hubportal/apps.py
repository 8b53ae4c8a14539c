from django.apps import AppConfig


class HubportalConfig(AppConfig):
    name = "hubportal"
    verbose_name = "Hubs, people and outbound email"
