# Two commands on a fresh machine:  make demo  (build the demo company, serve on :8000)  and  make test.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test install install-dev system-deps lint lock bench messages

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

install: $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .

install-dev: $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .

system-deps:
	./scripts/system-deps.sh

demo: install
	$(BIN)/northstar demo $(ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test: system-deps lint
	$(BIN)/pytest $(ARGS)

bench: install-dev
	$(BIN)/python bench/import_events.py --repeat 2
	$(BIN)/python bench/demo_build.py --keep
	$(BIN)/python bench/metrics_revenue.py --home bench/out/demo-home
	$(BIN)/python bench/metrics_usage.py --home bench/out/demo-home
	$(BIN)/python bench/wal_append.py
	$(BIN)/python bench/intake_http.py --seconds 60
	$(BIN)/python bench/health_scoring.py --home bench/out/demo-home
	$(BIN)/python bench/comment_analysis.py
	$(BIN)/python bench/playbook_latency.py
	$(BIN)/python bench/risk_model.py --home bench/out/demo-home
	$(BIN)/python bench/clv_models.py
	$(BIN)/python bench/clv_scale.py

lock: $(BIN)/uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements-dev.lock

# The interface's catalogues: extract the strings marked in src/ into messages.pot, then bring each language's
# messages.po up to date (new strings arrive untranslated: tests/test_i18n.py fails until they are translated).
messages: install-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o src/northstar/i18n/messages.pot src
	$(BIN)/pybabel -q update -i src/northstar/i18n/messages.pot -d src/northstar/i18n/locales --ignore-obsolete -w 120
