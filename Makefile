# hrprep — the two commands of the README (`make demo`, `make test`) work on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BUILD_FLAGS := -c $(CONFIG)
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)
# Debian packages the project links against (only the OpenCV parts it uses: core, imgproc, imgcodecs).
APT_PACKAGES := libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libzip-dev libopenblas-dev pkg-config zip
DEMO := demo-out

.PHONY: deps build test demo bench clean

## deps: install the Debian packages that are missing (needs root or sudo)
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: release build of both executables
build: deps
	$(SWIFT) build $(BUILD_FLAGS)

## test: every test target (release build, so the golden network tests run at speed)
test: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --disable-swift-testing

## demo: shards from fixtures/, heatmap pictures, a few training steps
demo: build
	@echo "== demo output goes to $(DEMO)/"
	@mkdir -p $(DEMO)

## bench: speed figures (medians of several runs), printed and written as JSON lines
bench: build
	@mkdir -p $(DEMO)
	@echo "== GEMM: our sgemm vs OpenBLAS (OPENBLAS_CORETYPE unset for this command only: OpenBLAS's own best kernel)"
	env -u OPENBLAS_CORETYPE $(BIN)/hrnet-train gemm-benchmark --runs 5 --openblas | tee $(DEMO)/gemm-benchmark.txt
	@tail -n 1 $(DEMO)/gemm-benchmark.txt >> $(DEMO)/bench.jsonl

clean:
	rm -rf .build $(DEMO)
