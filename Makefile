# SegEarth for QGIS. `make run` sets up what is missing and starts QGIS with the plugin; `make test` runs the suite.
SHELL := /bin/bash
PY := .venv/bin/python
MODELS := models
TINY := $(MODELS)/tiny-random
SAMPLE := tests/data/rgbn.tif
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup test test-engine test-plugin smoke lint run demo bench package deploy i18n clean

setup:
	bash scripts/setup.sh

test: setup i18n
	$(PY) -m ruff check engine segearth_qgis tests benchmarks scripts
	$(PY) -m pytest -q tests

test-engine: setup
	$(PY) -m pytest -q tests/engine

test-plugin: setup i18n
	$(PY) -m pytest -q tests/plugin

lint: setup
	$(PY) -m ruff check engine segearth_qgis tests benchmarks scripts

$(TINY)/model.safetensors: | setup
	.venv/bin/segearth make-tiny-model $(TINY) --seed 0 --overwrite

demo: setup $(TINY)/model.safetensors
	.venv/bin/segearth segment $(SAMPLE) --question "Where could a small plane land?" --model $(TINY) \
	  --mode view --out artifacts/demo.gpkg --overwrite
	@echo "demo: artifacts/demo.gpkg (tiny RANDOM test model: the polygons are meaningless)"

bench: setup
	$(PY) -m benchmarks.run

i18n:
	bash scripts/compile_translations.sh

package: i18n
	$(PY) scripts/package_plugin.py dist/segearth_qgis.zip

deploy: package
	bash scripts/deploy_plugin.sh

run: setup i18n $(TINY)/model.safetensors
	bash scripts/run_qgis.sh $(SAMPLE)

clean:
	rm -rf dist artifacts .pytest_cache
