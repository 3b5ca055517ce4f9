# shadowlens developer commands. `make demo` and `make test` work on a fresh machine:
# each creates .venv and installs what it needs: `demo` shadowlens alone (its runtime
# dependencies), `test` also the dev tools and the example plugin.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SOURCES := pyproject.toml native/Cargo.toml $(wildcard native/src/*.rs)
RUNTIME := $(VENV)/.runtime
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint wheel-check bench clean

$(RUNTIME): $(SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME) examples/shadowlens-stormshield/pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip uninstall --quiet --yes shadowlens-squid 2>/dev/null || true  # the former example, now built in
	$(BIN)/pip install --quiet -e examples/shadowlens-stormshield
	touch $(STAMP)

setup: $(STAMP)

demo: $(RUNTIME)  ## the main job on the bundled sample logs -> out/ (no test tooling installed)
	$(BIN)/shadowlens demo -o out

test: setup  ## the whole test suite (Python, then the Rust kernels' own tests)
	$(BIN)/pytest
	cd native && cargo test --quiet

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts examples fuzz
	$(BIN)/ruff format --check src tests benchmarks scripts examples fuzz
	$(BIN)/mypy

wheel-check: setup  ## the built wheel must carry the grammars and data files
	rm -rf build/wheel && $(BIN)/pip wheel --quiet --no-deps -w build/wheel .
	$(BIN)/python scripts/check_wheel.py build/wheel/shadowlens-*.whl

bench: setup  ## throughput benchmarks (minutes; not part of the tests)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist out .pytest_cache .mypy_cache .ruff_cache native/target src/shadowlens/_native*.so
