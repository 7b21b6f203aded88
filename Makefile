.DEFAULT_GOAL := help
PY ?= python3
# cargo test covers libjpeg-turbo too where it can be built (NASM and cmake found).
CARGO_TEST_ARGS := $(shell $(PY) scripts/build_backend.py)

# The portable wheel: every feature, the stable ABI of CPython 3.9+ (one wheel for 3.9-3.13+),
# glibc 2.28+ through zig's linker; libjpeg-turbo's SIMD code needs NASM (require-simd).
WHEEL_FEATURES := python,opus,libjpeg-turbo,pyo3/abi3-py39
WHEEL_ARGS := --release --zig --compatibility manylinux_2_28 --features $(WHEEL_FEATURES) --out dist

.PHONY: help tools install test test-rust test-python stubtest lint format bench clean wheel wheel-check

help:  ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

install:  ## Build the extension (release) and install spectrust with its test dependencies
	$(PY) -m pip install -e ".[test]"

test-rust:  ## Run the Rust unit tests of the pure DSP core
	cargo test $(CARGO_TEST_ARGS)

test-python: ## Run the Python tests (parity with librosa, API, CLI, server, browser, stubs)
	$(PY) -m pytest -q

test: tools install test-rust test-python  ## Install, then run every test (Rust and Python)

# What the tests need beyond Python and Rust (README, Quick start): one line naming what is missing.
TEST_TOOLS := chromium ffmpeg
tools:
	@missing=""; for t in $(TEST_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then echo "make test needs$$missing: apt-get install$$missing (README, Quick start)"; exit 1; fi

stubtest:  ## Check the stubs of the extension (python/spectrust/_core.pyi) against the built module
	$(PY) -m pytest -q tests/test_stubs.py

lint:  ## rustfmt, clippy (all targets and features, warnings are errors), ruff check and format
	cargo fmt --all --check
	cargo clippy --all-targets --all-features -- -D warnings
	$(PY) -m ruff check python tests benches scripts examples
	$(PY) -m ruff format --check python tests benches scripts examples

wheel:  ## Build the portable wheel into dist/ (manylinux_2_28, abi3; needs NASM and cmake)
	$(PY) -m pip install -q "maturin>=1.5,<2" ziglang auditwheel
	rm -f dist/spectrust-*.whl
	$(PY) -m maturin build $(WHEEL_ARGS)

wheel-check: wheel  ## Build the wheel, run auditwheel show, install it in a fresh venv with no build tools, smoke-test it
	$(PY) scripts/wheel_check.py dist

format:  ## Format the Rust and Python sources in place
	cargo fmt --all
	$(PY) -m ruff format python tests benches scripts examples

bench:  ## Run the benchmarks against librosa and audioflux (see benches/README.md)
	$(PY) -m pip install -e ".[bench]"
	$(PY) benches/run_all.py

clean:  ## Remove build products
	cargo clean
	rm -rf benches/data benches/out python/spectrust/*.so
