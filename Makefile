.DEFAULT_GOAL := help
PY ?= python3
# cargo test covers libjpeg-turbo too where it can be built (NASM and cmake found).
CARGO_TEST_ARGS := $(shell $(PY) scripts/build_backend.py)

.PHONY: help install test test-rust test-python stubtest lint format bench clean

help:  ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

install:  ## Build the extension (release) and install spectrust with its test dependencies
	$(PY) -m pip install -e ".[test]"

test-rust:  ## Run the Rust unit tests of the pure DSP core
	cargo test $(CARGO_TEST_ARGS)

test-python: ## Run the Python tests (parity with librosa, API, CLI, server, browser, stubs)
	$(PY) -m pytest -q

test: install test-rust test-python  ## Install, then run every test (Rust and Python)

stubtest:  ## Check the stubs of the extension (python/spectrust/_core.pyi) against the built module
	$(PY) -m pytest -q tests/test_stubs.py

lint:  ## rustfmt, clippy (all targets and features, warnings are errors), ruff check and format
	cargo fmt --all --check
	cargo clippy --all-targets --all-features -- -D warnings
	$(PY) -m ruff check python tests benches scripts examples
	$(PY) -m ruff format --check python tests benches scripts examples

format:  ## Format the Rust and Python sources in place
	cargo fmt --all
	$(PY) -m ruff format python tests benches scripts examples

bench:  ## Run the benchmarks against librosa and audioflux (see benches/README.md)
	$(PY) -m pip install -e ".[bench]"
	$(PY) benches/run_all.py

clean:  ## Remove build products
	cargo clean
	rm -rf benches/data benches/out python/spectrust/*.so
