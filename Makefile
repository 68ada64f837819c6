# normkit's task runner. `make run` and `make test` set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    := out

.PHONY: run test lint bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changes.
# Byte-compiled up front, as a regular install does (an editable one does not): start-up
# matters in shell pipelines.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q normkit cli
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q normkit cli
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m compileall -q normkit cli
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

run: $(VENV)/.installed
	@mkdir -p $(OUT)
	$(BIN)/normkit fit sample_data/sample.csv --exclude id -o $(OUT)/stats.json
	$(BIN)/normkit transform sample_data/sample.csv -s $(OUT)/stats.json -o $(OUT)/sample_normalized.csv
	$(BIN)/normkit transform sample_data/sample.parquet -s $(OUT)/stats.json -o $(OUT)/sample_normalized.parquet
	$(BIN)/normkit inspect $(OUT)/stats.json
	@echo
	$(BIN)/normkit drift sample_data/sample.parquet -s $(OUT)/stats.json
	@echo
	@echo "stat file:         $(OUT)/stats.json"
	@echo "normalized data:   $(OUT)/sample_normalized.csv, $(OUT)/sample_normalized.parquet"
	@echo "first rows of the normalized CSV:"
	@head -4 $(OUT)/sample_normalized.csv

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check normkit cli tests bench sample_data
	$(BIN)/ruff format --check normkit cli tests bench sample_data

# normkit against pandas + scikit-learn, Polars and DuckDB (docs/benchmarks.md and .png), then
# the peak memory of stdin/stdout pipes. Data files are cached in bench/data/ (about 13 GB).
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/compare.py --rows 4000000 --repeat 5 \
		--markdown docs/benchmarks.md --plot docs/benchmarks.png \
		--scaling-rows 1000000,4000000,16000000 --scaling-columns 16,256,4096 --startup
	cd bench && ../$(BIN)/python memory.py


sample: $(VENV)/.installed
	$(BIN)/python sample_data/make_sample.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .hypothesis *.egg-info
