"""gunicorn's settings for the web process (Procfile, docker-compose): `gunicorn -c hubportal/gunicorn.conf.py`.

Bind address and worker count come from the command line or gunicorn's own environment variables;
this file holds what must always be true: the access log goes to stdout with emailed links' tokens
redacted (hubportal.logs.GunicornLogger).
"""

accesslog = "-"
logger_class = "hubportal.logs.GunicornLogger"
