.DEFAULT_GOAL := help
PY ?= python3

.PHONY: help install test test-rust test-python stubtest bench clean

help:  ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

install:  ## Build the extension (release) and install spectrust with its test dependencies
	$(PY) -m pip install -e ".[test]"

test-rust:  ## Run the Rust unit tests of the pure DSP core
	cargo test

test-python: ## Run the Python tests (parity with librosa, API, CLI, stubs)
	$(PY) -m pytest -q

test: install test-rust test-python  ## Install, then run every test (Rust and Python)

bench:  ## Run the benchmarks against librosa and audioflux (see benches/README.md)
	$(PY) -m pip install -e ".[bench]"
	$(PY) benches/run_all.py

clean:  ## Remove build products
	cargo clean
	rm -rf benches/data benches/out python/spectrust/*.so
