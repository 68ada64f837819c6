# normkit's task runner. `make run` and `make test` set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    := out

.PHONY: run test lint bench sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The native engine's sources: the install (which builds normkit._native) is redone when they change.
NATIVE := native/Cargo.toml $(wildcard native/Cargo.lock native/src/*.rs)

# Reinstall only when the project's metadata or the native engine changes.
# Byte-compiled up front, as a regular install does (an editable one does not): start-up
# matters in shell pipelines.
$(VENV)/.installed: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q normkit normkit_cli
	touch $@

$(VENV)/.installed-test: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q normkit normkit_cli
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m compileall -q normkit normkit_cli
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

# The native engine's own tests first (Rust, no Python), then the whole suite on one worker
# process per core (a worker done with its share takes tests from the other's).
test: $(VENV)/.installed-test
	cd native && cargo test --quiet
	$(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(VENV)/.installed-test
	$(BIN)/ruff check normkit normkit_cli tests bench sample_data
	$(BIN)/ruff format --check normkit normkit_cli tests bench sample_data
	cd native && cargo fmt --check && cargo clippy --quiet --all-targets --all-features -- -D warnings

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
	rm -rf $(VENV) $(OUT) native/target normkit/_native*.so .pytest_cache .ruff_cache .hypothesis *.egg-info
