# Quick start targets. Each one sets itself up from a fresh clone (a virtual environment in .venv).
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PROFILE ?= cpu
# Another processor's float arithmetic, as far as one machine can show it: the generic ATen kernels,
# MKL's compatible code path and oneDNN's SSE4.1 kernels change a matrix product's and a
# convolution's last bits (tests/golden/make_golden.py, arithmetic).
STANDIN := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41
# hnswlib compiles from source on some Pythons; a portable build runs on any CPU.
export HNSWLIB_NO_NATIVE := 1

.PHONY: demo test nbval book sync bench campaign-dry-run clean

$(BIN)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,book,detect,sweep]'
	@# hnswlib (MixNN's approximate kNN) compiles from source where it has no wheel; without a C++
	@# compiler lnl searches exactly, and the HNSW tests skip.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[hnsw]' \
	    || echo "hnswlib was not built (no C++ compiler?): kNN searches exactly; its tests skip"
	touch $@

## book: execute every notebook at PROFILE (default cpu) and build the HTML into _build/html
book: $(BIN)/.installed-test
	$(BIN)/python scripts/build_book.py --profile $(PROFILE)

## sync: regenerate the paired book/**/*.ipynb (without outputs) from their MyST Markdown sources
sync: $(BIN)/.installed-test
	$(BIN)/python scripts/build_book.py --sync

## demo: CE on Fashion-MNIST with 40 % symmetric noise (20k images, 10 epochs, ~1 min on 2 CPU cores)
demo: $(BIN)/.installed-test
	$(BIN)/lnl run --method ce --dataset fashion_mnist --noise symmetric --rate 0.4 \
	    --train-per-class 2000 --epochs 10 --out runs/demo

## test: the unit tests; the book built at the smoke profile, each notebook executed once, with
## nbval's contract checked on what ran (tests/test_executed.py: every cell ran, none raised); the
## site in headless Chromium (tests/test_site.py; skipped, with the reason, where no Chromium is
## installed, unless LNL_REQUIRE_SITE=1 as in .ci/run); the pages' analysis on fixed run records
## against tests/golden/fixed_analysis.json, and the glued numbers against
## tests/golden/page_glue.json (tests/test_glue.py); the golden tests once more under $(STANDIN),
## another float arithmetic
test: $(BIN)/.installed-test
	$(BIN)/python -m pytest -q --ignore=tests/test_site.py --ignore=tests/test_glue.py --ignore=tests/test_executed.py
	$(BIN)/python scripts/build_book.py --profile smoke
	$(BIN)/python -m pytest -q -rs tests/test_executed.py tests/test_site.py tests/test_glue.py
	@# The golden tests again under another float arithmetic, a stand-in for another processor:
	@# they compare trained numbers exactly only where the arithmetic is the golden files' own, and
	@# the analysis of fixed records on any.
	$(STANDIN) $(BIN)/python -m pytest -q tests/test_engine.py::test_records_are_bit_identical_to_the_golden_ones tests/test_glue.py

## nbval: every notebook at the smoke profile under nbval, with its per-cell report (make test checks
## the same contract on the smoke build's one execution)
nbval: $(BIN)/.installed-test
	$(BIN)/python scripts/build_book.py --prepare smoke
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env --nbval-cell-timeout=300 _build/smoke

## bench: training throughput per model, fast data path vs DataLoader, and each method's epoch time
## as a ratio to CE's, on this machine
bench: $(BIN)/.installed-test
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/methods.py

## campaign-dry-run: the GPU plans of every page, and what is still to train, in GPU-minutes
campaign-dry-run: $(BIN)/.installed-test
	$(BIN)/python scripts/gpu_campaign.py --pages all --dry-run

clean:
	rm -rf $(VENV) runs _build .pytest_cache .hypothesis
