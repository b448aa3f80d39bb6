# weare-harness: `make run` and `make test` do all set-up on a fresh machine.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NPMDIR := tests/interop
RALPH  := .harness/ralph-venv/bin/ralph

# Python caches compiled modules (and pytest its assertion-rewritten tests) in __pycache__: an
# environment that forbids it (PYTHONDONTWRITEBYTECODE) makes every process of `make test`
# compile all it imports again, about 2.5 CPU-s per pytest process.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup run serve test test-full lint format docs bench fuzz mutation release screenshots clean

# What `make test` needs: the project with its `test` extra, Chromium, the npm clients, Ralph.
setup: $(VENV)/.installed-test .harness/chromium $(NPMDIR)/node_modules/.installed $(RALPH)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e .
	@touch $(STAMP)

# One extra of pyproject.toml on top (test, fuzz, release, mutation), for the targets that use it.
$(VENV)/.installed-%: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[$*]'
	@touch $@

.harness/chromium: scripts/ensure-chromium.sh | $(STAMP)
	@mkdir -p .harness
	PYTHON=$(PY) scripts/ensure-chromium.sh > .harness/chromium

# Third-party JS clients for the interop tests; skipped (tests say why) where npm is absent.
$(NPMDIR)/node_modules/.installed: $(NPMDIR)/package.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(NPMDIR) && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: interop tests will be skipped"; fi

# The main job: the built-in suite against the reference story, in Chromium, reports in reports/.
# A real third-party LRS for certify's tests, in its own venv (its pins are strict). Its
# [cli,lrs] extras forget `requests`, which it imports. Where it cannot install, its test skips.
$(RALPH):
	@mkdir -p .harness
	@python3 -m venv .harness/ralph-venv && .harness/ralph-venv/bin/pip install -q \
	  "ralph-malph[cli,lrs]==5.1.0" requests || echo "Ralph not installed: its test and make bench's comparison will be skipped"

run: $(STAMP) .harness/chromium
	$(VENV)/bin/weare-harness run --driver browser --report-dir reports

# `make serve PORT=9000 MODE=observe`: the port and the mode of the default mount (observe
# accepts We Are's documented flow, which enforce refuses with 403).
PORT ?= 8080
MODE ?= enforce
serve: $(STAMP)
	$(VENV)/bin/weare-harness serve --port $(PORT) --mode $(MODE)

# Three pytest-xdist workers on 2 cores (the tests wait on browsers, subprocesses and servers
# about a third of the time), one test file each at a time (--dist loadfile keeps a file's
# shared servers and the installed-wheel build to one worker), the longest files first
# (tests/longest_first.txt; --no-loadscope-reorder keeps that order). TEST_WORKERS=0 runs
# everything in one process.
TEST_WORKERS ?= 3
test: setup lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Everything `make test` runs, and the long cross-product proofs it keeps to a part of
# (tests/full_proofs.py): the wheel on every supported Python, each mutant's page in every launch.
test-full: setup lint
	WEARE_TEST_FULL=1 $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# lint-imports: the import contracts in pyproject.toml (fake_lms never imports harness; inside
# fake_lms no module imports from a layer above its own). mypy: strict on fake_lms and harness
# ([tool.mypy] in pyproject.toml).
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy

# The documentation site in site/ (MkDocs, Material theme), strict: a broken link or anchor, or a
# page left out of the navigation, fails it. The reference pages are generated from the code at
# build time (docs/hooks/reference.py). `make test` builds it too (tests/test_docs_site.py).
docs: $(VENV)/.installed-test
	$(VENV)/bin/mkdocs build --strict -d site

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The same load against weare-harness and Ralph, then the growth table up to BENCH_GROWTH_MAX
# statements (default 1,000,000; 100000 for a quicker run): reports/bench/results.json. Then
# one-statement POSTs while 4 × 16 MiB batches are in flight: reports/bench/large_bodies.json.
# Then the start-up times (--version, --help, serve's first answer): reports/bench/startup.json.
# Then a scenario's mounts and keys, chosen and generated secrets: reports/bench/scenario_setup.json.
# Then learners/s with `weare-harness load` (cmi5-full against serve; weare-documented against serve
# and Ralph): reports/bench/learners.json. Then where serve's CPU goes per resource and thread
# under cmi5 learners: reports/bench/request_cost.json. Then 10 `kill -9` cycles under load:
# acknowledged statements lost or stored twice (none allowed).
bench: $(STAMP) $(RALPH)
	$(PY) bench/lrs_bench.py
	$(PY) bench/large_bodies_bench.py
	$(PY) bench/startup_bench.py
	$(PY) bench/scenario_setup_bench.py
	$(PY) bench/learners_bench.py
	$(PY) bench/request_cost.py --load learners
	$(PY) bench/kill9_bench.py --cycles 10

# Schemathesis against a live serve, FUZZ_REQUESTS per resource (reports/bench/fuzz_results.json),
# then the statement property with FUZZ_PROPERTY_EXAMPLES mutated statements. Exit 1 on any finding.
FUZZ_REQUESTS ?= 10000
FUZZ_PROPERTY_EXAMPLES ?= 2000
fuzz: $(VENV)/.installed-fuzz
	$(PY) bench/fuzz.py --requests $(FUZZ_REQUESTS)
	STATEMENT_PROPERTY_EXAMPLES=$(FUZZ_PROPERTY_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider \
	  tests/test_statement_properties.py

# Mutation testing of the verdict-bearing modules ([tool.mutmut] in pyproject.toml: the five
# modules and the in-process tests that judge them), then each module's score against its floor
# (mutation/score.py; equivalent mutants, each with its reason, in mutation/equivalents.toml).
# About an hour on 2 cores; mutmut's own progress goes to reports/mutation.log.
MUTATION_FLOOR ?= 90
mutation: $(VENV)/.installed-test $(VENV)/.installed-mutation
	@mkdir -p reports && rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 > reports/mutation.log 2>&1 || \
	  { tail -5 reports/mutation.log; echo "mutmut failed: reports/mutation.log"; exit 2; }
	$(PY) mutation/score.py --floor $(MUTATION_FLOOR)

# The sdist and the wheel in dist/, checked as PyPI reads them (`twine check`); uploading them is
# left to the maintainer.
release: $(VENV)/.installed-release
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(VENV)/bin/twine check --strict dist/*

# The tests that take screenshots write them to reports/screenshots/ (as `make test` does); the
# README and the documentation site show the copies in docs/screenshots/.
SHOT_TESTS := tests/test_story_outcome.py tests/test_report_pages.py tests/test_certify_capture.py
screenshots: setup
	$(PY) -m pytest -q -p no:cacheprovider $(SHOT_TESTS)
	@mkdir -p docs/screenshots
	cp reports/screenshots/*.png docs/screenshots/

clean:
	rm -rf $(VENV) .harness $(NPMDIR)/node_modules
