# Parallax: `make html` builds the site, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PINS := $(shell cksum < pyproject.toml | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(PINS)
TEST_STAMP := $(VENV)/.installed-test-$(PINS)
CONTENT ?= content
OUTPUT ?= output

.PHONY: html test lint serve publish check schema bench clean

# The site needs the project's dependencies; the tests add theirs (Playwright,
# the Nu HTML checker, linters) only when tests are run.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

html: $(STAMP)
	$(BIN)/parallax build --content $(CONTENT) --output $(OUTPUT)

# The published site: absolute URLs under SITEURL (environment or `make publish SITEURL=...`),
# e.g. https://user.github.io/repo; WORK= chooses another build folder.
publish: $(STAMP)
	SITEURL='$(SITEURL)' $(BIN)/parallax build --content $(CONTENT) --output $(OUTPUT) \
		--settings publishconf.py $(if $(WORK),--work $(WORK))

serve: $(STAMP)
	$(BIN)/parallax serve --content $(CONTENT)

check: $(STAMP)
	$(BIN)/parallax check --content $(CONTENT)

schema: $(STAMP)
	$(BIN)/parallax schema

# Timings on synthetic corpora → docs/benchmarks.md; e.g. BENCH_ARGS="--sizes 1000 --skip-baseline".
bench: $(STAMP)
	$(BIN)/parallax bench $(BENCH_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check generator tests pelicanconf.py publishconf.py
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf build .cache output
