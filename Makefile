# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# llama-cpp-python compiles from source. A portable AVX2 build: the default -march=native
# build enables AMX kernels that crash in VMs whose kernel does not grant AMX state.
LLAMA_VERSION := 0.3.36
LLAMA_WHEELS ?= $(HOME)/.cache/synthfoundry/wheels/llama-$(LLAMA_VERSION)-avx2
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF

export SYNTHFOUNDRY_HOME ?= $(CURDIR)/.synthfoundry
export DAGSTER_HOME ?= $(SYNTHFOUNDRY_HOME)/dagster

.PHONY: demo test test-unit test-flow test-e2e ui bench lint env clean-home browser sandbox

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_VERSION) once (about 15 minutes on 2 cores)..."; \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel --quiet --no-cache-dir --no-deps \
			llama-cpp-python==$(LLAMA_VERSION) -w $(LLAMA_WHEELS); \
	fi
	$(PY) -m pip install --quiet --find-links $(LLAMA_WHEELS) --only-binary llama-cpp-python -e ".[dev]"
	touch $@

demo: env sandbox
	$(VENV)/bin/synthfoundry run
	@echo "the CLI lives in $(VENV)/bin: . $(VENV)/bin/activate, then synthfoundry --help; make ui opens the Dagster UI"

# Two processes: most of the suite is single-threaded Python (tests/conftest.py keeps tests that
# share a run in one process).
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

test: env browser sandbox
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PARALLEL)

# One tier of the suite: unit (about a minute), flow or e2e (see tests/conftest.py). By folder, not
# `-m`: a marker selects after collecting, which imports every tier's modules (about 2 s a process).
test-unit: env
	$(PY) -m pytest $(PARALLEL) tests/unit

test-flow: env sandbox
	$(PY) -m pytest $(PARALLEL) tests/flow

test-e2e: env browser sandbox
	$(PY) -m pytest $(PARALLEL) tests/e2e

# Headless Chromium and its driver for tests/e2e/test_browser.py, from Debian packages. Only
# when missing; a machine without apt (or root) keeps going and that one test fails clearly.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: no apt-get: install chromium and chromedriver for the browser test"; \
	else \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
		( $$SUDO apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver ) \
		|| echo "warning: apt-get could not install chromium chromium-driver; the browser test will fail"; \
	fi

# bubblewrap runs model-written code (assets/execution/sandbox.py), from Debian's package, only
# when missing; without it the sandbox refuses to run code and says why.
sandbox:
	@if [ -x /usr/bin/bwrap ] || command -v bwrap >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: no apt-get: install bubblewrap, or code execution steps will fail"; \
	else \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo -n); \
		( $$SUDO apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq bubblewrap ) \
		|| echo "warning: apt-get could not install bubblewrap; code execution steps will fail"; \
	fi

ui: env
	$(PY) -c 'import sys; from orchestration.home import prepare_home; from orchestration.run_health import ensure_instance_config; prepare_home(sys.argv[1]); ensure_instance_config(sys.argv[2])' $(SYNTHFOUNDRY_HOME) $(DAGSTER_HOME)
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: env
	$(PY) bench/warehouse
	$(PY) bench/generation
	$(PY) bench/generation/instant.py
	$(PY) bench/quality_metadata
	$(PY) bench/quality_rules
	$(PY) bench/neardup_quality
	$(PY) bench/dedup_throughput
	$(PY) bench/decontamination
	$(PY) bench/code_exec
	$(PY) bench/embeddings

lint: env
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean-home:
	rm -rf $(SYNTHFOUNDRY_HOME)
