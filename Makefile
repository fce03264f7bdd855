# Two entry points for a fresh machine (Python 3.11+ with pip): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export ADAL_INSTANCE ?= $(CURDIR)/instance
PORTAL_PORT  ?= 8080
HANDLER_PORT ?= 8081

.PHONY: setup run test lint bench clean-instance

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	@# The portal runs under -OO (adal_cli/serve.py) and its systemd unit cannot write bytecode:
	@# compile it once here. Best effort: a file a dependency ships as data must not stop setup.
	-$(BIN)/python -OO -m compileall -q -j 0 $(VENV)/lib crypto hardening store cases installation web rules portal handler documents mail adal_cli >/dev/null
	touch $@

setup: $(VENV)/.installed
	@bash scripts/compile-translations.sh $(BIN)

## run: a demo instance (created on first run) with the portal and the back office
run: setup
	@[ -f "$(ADAL_INSTANCE)/adal.json" ] || $(BIN)/adal init --demo
	$(BIN)/adal run-demo --portal-port $(PORTAL_PORT) --handler-port $(HANDLER_PORT)

## test: everything CI runs: system packages, lint, the suite on SQLite and PostgreSQL
test: setup
	bash scripts/test.sh

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/crypto.py
