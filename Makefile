# Two commands do all set-up: `make demo` (the main job) and `make test` (the tests).
# Both create .venv, install the pinned Python packages and the lab's Debian packages first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck setup lab-packages package-audit lab-matrix clean

# Everything the toolkit runs is held to mypy (pyproject [tool.mypy]: Nornir's settings).
TYPED  := tasks runbooks

demo: setup lab-packages
	$(PY) runbooks/demo.py

test: setup lab-packages
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --no-cache --check .
	$(VENV)/bin/mypy $(TYPED)
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check --no-cache .
	$(VENV)/bin/ruff format --no-cache --check .
	$(VENV)/bin/mypy $(TYPED)

typecheck: setup
	$(VENV)/bin/mypy $(TYPED)

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

# The one list of Debian packages lives in tasks/lab/packages.py (install, audit, list).
# Every way a failover run can die (SIGKILL, SIGHUP, closed stderr) at every point (drain,
# maintenance, hold): about 4 minutes on the lab; make test runs one point of each.
lab-matrix: setup lab-packages
	VPC_HA_LAB_MATRIX=full $(VENV)/bin/pytest tests/failover/test_failover_orphans_lab.py

lab-packages: setup
	$(PY) -m tasks.lab.packages install

package-audit: lab-packages
	$(PY) -m tasks.lab.packages audit

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
