# syntax=docker/dockerfile:1
#
# Innovation Hub Front Door: one image for every process (web, worker, beat, migrate).
#   docker build -t hubportal .
#   docker compose up            (see docker-compose.yml)
# The default command is the web server; docker-compose.yml overrides it for the other processes.

# --- Stage 1: build the NHS.UK frontend assets into static/vendor/nhsuk ----------------------------
FROM node:20-slim AS frontend

WORKDIR /build
# Lock file first so the npm layer is reused until the dependencies change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static/ static/
RUN npm run build


# --- Stage 2: the Python application -------------------------------------------------------------
FROM python:3.11-slim AS app

# PYTHONPATH: the source tree in /app comes first on the path in every process. `pip install .` puts
# only the .py files in site-packages (no templates or static), and `celery` does not add the working
# directory to sys.path the way `python manage.py` and gunicorn do.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=hubportal.settings \
    VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# The unprivileged user every process runs as.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# WeasyPrint (the value report's PDF) draws text with Pango and HarfBuzz, and embeds these fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Dependencies (and the project packages) before the rest of the source, for layer caching.
COPY pyproject.toml ./
COPY hubportal/ hubportal/
COPY intake/ intake/
COPY signposting/ signposting/
COPY partners/ partners/
COPY review/ review/
COPY adoption/ adoption/
COPY devtools/ devtools/
RUN pip install . \
    && rm -rf build *.egg-info

# The rest of the source (see .dockerignore), then the assets built by the frontend stage.
COPY . .
COPY --from=frontend /build/static/vendor/ static/vendor/

# Static files are collected into the image (served by WhiteNoise). Settings refuse to load without
# a SECRET_KEY when DEBUG is off, so this one step gets a throwaway value that never reaches runtime.
RUN SECRET_KEY=build-only-collectstatic-not-a-secret-long-enough-for-the-key-rule DEBUG=0 \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var /data/media \
    && chown -R app:app /app/var /data

USER app

EXPOSE 8000

CMD ["gunicorn", "hubportal.wsgi:application", "-c", "hubportal/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3"]
