# Two entry points: `make run` (install the server and serve) and `make test` (install the
# development tools too, and check everything). constraints.txt pins every package of both.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --constraint constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: system install install-dev run test lint bench constraints clean

# The server and its runtime dependencies only.
install: $(VENV)/.runtime

# The same, with the development tools (tests, linters, benchmarks).
install-dev: $(VENV)/.dev

$(VENV)/.runtime: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PIP) -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) -e '.[dev]'
	touch $@

run: install
	$(VENV)/bin/nn-playground --host $(HOST) --port $(PORT)

lint: install-dev
	$(VENV)/bin/ruff check app tests bench deploy
	$(VENV)/bin/mypy app
	$(VENV)/bin/lint-imports

# Regenerate the pins after changing the dependencies in pyproject.toml.
constraints: install-dev
	$(VENV)/bin/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url \
		--no-emit-find-links --output-file constraints.txt pyproject.toml

# The system packages the tests need: Chromium for the browser tests, HAProxy and OpenSSL for
# the proxy and replica tests, venv for Python.
system:
	@if ! command -v chromium >/dev/null 2>&1 || ! [ -x /usr/sbin/haproxy ] \
		|| ! command -v openssl >/dev/null 2>&1 \
		|| ! $(PYTHON) -c "import ensurepip" 2>/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends chromium haproxy openssl python3-venv \
				fonts-dejavu-core; \
		else \
			echo "the tests need: sudo apt-get install chromium haproxy openssl python3-venv" >&2; \
			exit 1; \
		fi; \
	fi

test: system lint
	$(VENV)/bin/pytest -q

bench: install-dev
	$(PY) -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache test-artifacts
