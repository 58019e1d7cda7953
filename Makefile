# SegEarth for QGIS. `make run` sets up what is missing and starts QGIS with the plugin; `make test` runs the suite.
SHELL := /bin/bash
PY := .venv/bin/python
MODELS := models
TINY := $(MODELS)/tiny-random
SAMPLE := tests/data/rgbn.tif
export QT_QPA_PLATFORM ?= offscreen

.PHONY: setup test test-engine test-numpy2 test-plugin test-install test-matrix smoke lint run demo bench package wheelhouse \
	deploy i18n clean

setup:
	bash scripts/setup.sh

test: setup i18n
	$(PY) -m ruff check engine segearth_qgis tests benchmarks scripts
	$(PY) -m pytest -q tests
	bash scripts/numpy2_engine_tests.sh

test-engine: setup
	$(PY) -m pytest -q tests/engine

# the engine suite again on numpy 2 (PyPI's numpy, shapely 2, rasterio 1.4, affine 3) in a throwaway venv, no QGIS
test-numpy2:
	bash scripts/numpy2_engine_tests.sh

test-plugin: setup i18n
	$(PY) -m pytest -q tests/plugin

# a new user's path, end to end: fresh profile, only the zip, the install button, restart, a question (minutes)
test-install: setup i18n
	bash scripts/test_install.sh

# the same on the QGIS versions users run: this machine's 3.22, Debian 13's 3.40 and unstable's 3.44 in cached
# debootstrap chroots (root; long, GBs the first time); prints one row per QGIS, writes artifacts/test-matrix.md
test-matrix: setup i18n
	bash scripts/test_matrix.sh

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

# dist/segearth_qgis.zip (engine inside, checked against the plugin repository's rules) and dist/plugins.xml
package: i18n
	$(PY) scripts/package_plugin.py dist/segearth_qgis.zip

# dist/wheelhouse: every wheel the install button needs on this platform, for offline machines
wheelhouse: setup
	$(PY) scripts/build_wheelhouse.py dist/wheelhouse

deploy: package
	bash scripts/deploy_plugin.sh

run: setup i18n $(TINY)/model.safetensors
	bash scripts/run_qgis.sh $(SAMPLE)

clean:
	rm -rf dist artifacts .pytest_cache
