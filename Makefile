# Footprint: two commands — `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the suite runs on two workers: these machines have two cores, and much of a test's time is
# spent waiting on a server, a browser, a JVM or a download
TEST_WORKERS ?= 2

.PHONY: run test lint format bench clean chromium java bundle

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

## run: start the dashboard on the embedded DuckDB demo bank (created on first start)
run: $(STAMP)
	$(BIN)/python -m data_access ensure-demo
	$(BIN)/python -m dashboard

## chromium: Debian's browser for the browser tests (installed once)
chromium:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . && fc-list | grep -qi emoji || (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null)

## java: Debian's Java 17 runtime for the Spark tests' cluster (installed once)
java:
	@java -version 2>&1 | grep -Eq 'version "(17|21)' || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null)

## test: lint, then every test (DuckDB, PostgreSQL, Spark, app and browser tests)
test: $(STAMP) chromium java
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## bench: performance figures at county scale (see bench/README.md)
bench: $(STAMP)
	$(BIN)/python -m bench

## bundle: the offline installation archive dist/footprint-VERSION-linux-x86_64.tar.gz (needs the index)
bundle: $(STAMP)
	PYTHON=$(BIN)/python packaging/build-bundle.sh

clean:
	rm -rf $(VENV) .pytest_cache
