# Two commands on a fresh machine (python3 >= 3.11 and make):
#   make demo   installs mvcpy into .venv, generates a project (mvcpy new demo) in .demo/
#               with posts, comments (scaffolds), a live page and sample data, migrates its
#               SQLite database and serves it on http://127.0.0.1:8000
#   make test   installs everything into .venv and runs ruff, mypy and the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
# Where `make demo` writes its project, and where it serves it.
DEMO_DIR ?= .demo
HOST ?= 127.0.0.1
PORT ?= 8000
MVCPY := $(abspath $(VENV))/bin/mvcpy

.PHONY: setup browser loadgen demo demo-project screenshots test lint typecheck pytest bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,redis,postgres,mysql,jobs,metrics,tracing]'
	touch $@

setup: $(VENV)/.installed

# Idempotent: an existing $(DEMO_DIR) is kept (and migrated to head), not written again.
# A new demo gets two scaffolds (posts, and comments that belong to a post), then the
# files of examples/demo/ on top: a live page (the hub), its routes, its test and sample
# data (seeds.py); then accounts (mvcpy generate auth), the admin of posts and comments
# (mvcpy generate admin), and a user to log in as, who may use the admin.
demo-project: setup
	@if [ ! -f $(DEMO_DIR)/demo/app.py ]; then \
	  $(MVCPY) new demo --dir $(DEMO_DIR) && cd $(DEMO_DIR) && \
	  $(MVCPY) generate scaffold post title:string body:text published:boolean && \
	  $(MVCPY) generate scaffold comment post:references body:text && \
	  cp -R $(CURDIR)/examples/demo/. . && \
	  $(MVCPY) generate auth && \
	  $(MVCPY) generate admin post comment && \
	  $(MVCPY) db upgrade && $(MVCPY) db seed; \
	fi
	cd $(DEMO_DIR) && $(MVCPY) db upgrade

demo: demo-project
	cd $(DEMO_DIR) && exec $(MVCPY) run --app demo.app:app --host $(HOST) --port $(PORT)

# The docs' pictures, taken by the browser tests of the demo and of the admin.
screenshots: setup browser
	MVCPY_SCREENSHOTS=docs/images $(PY) -m pytest -q -p no:cacheprovider tests/e2e/test_demo.py \
	  tests/e2e/test_admin_browser.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

# The browser tests drive Debian's Chromium through chromedriver; install both when absent
# and this is a Debian machine we may install on (root), else those tests skip (CI fails them).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium and chromium-driver (Debian packages) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "chromium/chromedriver not found and cannot be installed here: browser tests will skip"; \
	  fi; \
	fi

pytest: setup browser
	$(VENV)/bin/pytest

test: lint typecheck pytest

# The over-the-wire benchmarks drive the servers with wrk (Debian package), pinned with
# taskset; install wrk when absent and we may (root on Debian), else those suites say so.
loadgen:
	@if ! command -v wrk >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing wrk (Debian package) for the over-the-wire benchmarks"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "wrk not found and cannot be installed here: the over-the-wire suites will not run"; \
	  fi; \
	fi

bench: setup loadgen
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .demo dist build .pytest_cache .mypy_cache .ruff_cache
