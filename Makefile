# ldirectord-ng: every entry point a person or CI uses. `make check` is the whole gate.
SHELL := /bin/bash
.DEFAULT_GOAL := build
JEST := NODE_OPTIONS=--experimental-vm-modules npx jest

.PHONY: setup build lint typecheck test-unit check-fast check test-peers test-kernel test-e2e \
        test-deb deb demo bench bench-parser bench-ipvs bench-checks clean

setup:
	bash .ci/setup

build: setup
	npx tsc -p tsconfig.build.json

lint: setup
	npx eslint .

typecheck: setup
	npx tsc -p tsconfig.json --noEmit

# Unit tests, the IPVS contract suite on the fake, and real-peer check tests on loopback.
test-unit: setup
	$(JEST)

# Quick iteration gate: no guest, no package build.
check-fast: lint typecheck test-unit

# The whole gate: everything CI runs.
check: check-fast build

clean:
	rm -rf dist coverage
