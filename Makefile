# Quick start targets. Each one sets itself up from a fresh clone (a virtual environment in .venv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# hnswlib compiles from source on some Pythons; a portable build runs on any CPU.
export HNSWLIB_NO_NATIVE := 1

.PHONY: demo test bench clean

$(BIN)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

## demo: CE on Fashion-MNIST with 40 % symmetric noise (20k images, 10 epochs, ~1 min on 2 CPU cores)
demo: $(BIN)/.installed-test
	$(BIN)/lnl run --method ce --dataset fashion_mnist --noise symmetric --rate 0.4 \
	    --train-per-class 2000 --epochs 10 --out runs/demo

## test: the whole test suite
test: $(BIN)/.installed-test
	$(BIN)/python -m pytest -q

## bench: training throughput per model and fast data path vs DataLoader on this machine
bench: $(BIN)/.installed-test
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
