# Neural Playground: one uvicorn worker serving the page, the HTTP API and /ws on port 8000.
#
#   docker build -t nn-playground .
#   docker run -p 8000:8000 -e NNP_ALLOWED_ORIGINS=https://playground.example.com nn-playground
#
# Settings come from NNP_* variables (app/settings.py). Two matter in a container:
# - NNP_ALLOWED_ORIGINS: comma-separated exact origins ("https://host[:port]") whose pages
#   may open /ws. Empty: only the server's own origin, as the request reaches it. Behind a
#   TLS-terminating proxy the page's origin is https:// while the request is plain ws://,
#   so set the public origin here.
# - NNP_ALLOWED_HOSTS: comma-separated Host header names. Empty and bound to 0.0.0.0 (as
#   here): any Host is accepted. If you restrict it, keep 127.0.0.1 in the list: the health
#   check below asks http://127.0.0.1:8000/healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --system --gid 10001 playground \
    && useradd --system --uid 10001 --gid playground --no-create-home \
        --shell /usr/sbin/nologin playground

WORKDIR /srv/nn-playground
COPY . .
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

# The installed server finds the page's templates/ and static/ in its working directory,
# this copy of the project (which the non-root user cannot modify).
ENV NNP_ALLOWED_ORIGINS="" \
    NNP_ALLOWED_HOSTS=""

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["nn-playground", "--host", "0.0.0.0", "--port", "8000"]
