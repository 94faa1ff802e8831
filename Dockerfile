# One image for every app process: web (gunicorn, the default), Celery worker and beat,
# and the one-shot migrate job (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --gid 1000 tracker \
    && useradd --uid 1000 --gid tracker --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin tracker

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The project declares
# no packages (`packages = []`): pyproject.toml and the README are all pip needs.
COPY pyproject.toml README.md /app/
RUN pip install --no-cache-dir /app

COPY . /app

# Static files are collected into the image (served by WhiteNoise). The key and host
# below exist only for this build step; they are not kept in the image's environment.
RUN DEBUG=false SECRET_KEY=build-only-not-a-secret ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown -R tracker:tracker /app/var

USER tracker

EXPOSE 8000

# GET /healthz, sent with a Host header Django accepts (the first of ALLOWED_HOSTS).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.').replace('*', 'localhost') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application", "--access-logfile", "-"]
