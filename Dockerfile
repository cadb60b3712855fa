# syntax=docker/dockerfile:1
# Kalytera platform image: build stage installs the locked dependencies with uv,
# runtime stage runs gunicorn as an unprivileged user.

FROM python:3.12-slim-bookworm AS build
ENV UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
# The directory of installer files (owned by the app user once copied below; compose mounts a
# volume on it: README, "Releases and downloads"), and static files collected at build time
# with the production storage (hashed, compressed). The values below only satisfy the
# production gate for this one command.
RUN mkdir -p release-files \
    && DEBUG=false SECRET_KEY=build-only-key-build-only-key-build-only-key-0123456789 \
       ALLOWED_HOSTS=build SITE_URL=https://build DATABASE_URL=postgres://build/build MAIL_URL=smtp://build \
       /opt/venv/bin/python manage.py collectstatic --noinput

FROM python:3.12-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=kalytera.settings \
    WEB_CONCURRENCY=3
RUN groupadd --system --gid 10001 kalytera \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home kalytera
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=10001:10001 /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
# Sync workers (WEB_CONCURRENCY, default 3 for 2 cores) behind a buffering TLS proxy; see README,
# "Scaling out". Which proxy headers to trust is Django's decision (TRUSTED_PROXY_COUNT).
CMD ["gunicorn", "kalytera.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "sync", "--access-logfile", "-", "--no-control-socket"]
