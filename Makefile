# grit: two commands for a newcomer.
#   make demo   set everything up, then run the main end-to-end job
#   make test   set everything up, then run ruff and the whole test suite
# Both create a local virtual environment in .venv (Python 3.10+; PyTorch from pip).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: venv demo test lint browser clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

DEMO_OUT ?= demo-out
demo: venv
	$(BIN)/grit demo --out $(DEMO_OUT)

test: venv lint browser
	GRIT_REQUIRE_BROWSER=$(GRIT_REQUIRE_BROWSER) $(BIN)/python -m pytest -q

# The HTML report is tested in headless Chromium (Debian's package; no browser is downloaded).
# Installed here where missing and possible (root or sudo); otherwise that one test is skipped.
GRIT_REQUIRE_BROWSER ?= $(shell command -v chromium >/dev/null 2>&1 && echo 1)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get install -y -qq chromium; \
	  else echo "chromium not installed and no root: the report's browser test will be skipped"; fi; }

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean-venv:
	rm -rf $(VENV)
