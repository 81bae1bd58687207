# Neural Playground: one uvicorn worker serving the page, the HTTP API and /ws on port 8000.
#
#   docker build -t nn-playground .
#   docker run -p 8000:8000 nn-playground        # then http://localhost:8000 or 127.0.0.1:8000
#
# Settings come from NNP_* variables (app/settings.py). Those that matter in a container:
# - NNP_ALLOWED_ORIGINS: comma-separated exact origins ("https://host[:port]") whose pages
#   may open /ws. Empty: only the server's own origin, as the request reaches it (so both
#   localhost and 127.0.0.1 work). Behind a TLS proxy that sends X-Forwarded-Proto (and is
#   trusted through FORWARDED_ALLOW_IPS), the own origin is the public https:// one.
# - NNP_ALLOWED_HOSTS: comma-separated Host header names. Empty and bound to 0.0.0.0 (as
#   here): any Host is accepted. If you restrict it, keep 127.0.0.1 in the list: the health
#   check below asks http://127.0.0.1:8000/healthz.
# - NNP_REPLICA: this server's name among replicas behind one proxy (deploy/compose.yaml).
# - The worker count and the session cap follow the CPUs the container may use (--cpus).

# The wheel (the server with the page's files inside it), built in a stage of its own.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --system --gid 10001 playground \
    && useradd --system --uid 10001 --gid playground --no-create-home \
        --shell /usr/sbin/nologin playground

# The runtime dependencies at the versions the tests ran with (constraints.txt), no dev tools.
COPY constraints.txt /tmp/constraints.txt
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --constraint /tmp/constraints.txt /tmp/wheels/nn_playground-*.whl \
    && rm -rf /tmp/wheels /tmp/constraints.txt

ENV NNP_ALLOWED_ORIGINS="" \
    NNP_ALLOWED_HOSTS="" \
    NNP_REPLICA=""

WORKDIR /srv/nn-playground
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["nn-playground", "--host", "0.0.0.0", "--port", "8000"]
