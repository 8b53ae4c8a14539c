#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubportal.settings")
    # Management commands are a developer's tool first: they default to development settings. The web
    # server (wsgi.py) and Celery do not, so a deployment that forgets its environment refuses to
    # start without SECRET_KEY. Production sets DEBUG=0 explicitly for its commands too (docker-compose).
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
