# hrprep — the two commands of the README (`make demo`, `make test`) work on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
BUILD_FLAGS := -c $(CONFIG)
BIN = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)
# Debian packages the project links against (only the OpenCV parts it uses: core, imgproc, imgcodecs),
# python3-numpy for the test that reads our shards with an independent Python reader, qemu-user
# for the tests that run the binaries on emulated CPUs without AVX-512 or AVX, and Open MPI for
# training and shard builds on more than one machine.
APT_PACKAGES := libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libjpeg62-turbo-dev libzip-dev libopenblas-dev pkg-config zip \
  python3-numpy qemu-user openmpi-bin libopenmpi-dev
DEMO := demo-out

.PHONY: deps build test test-checked demo bench bench-pytorch fuzz lint format clean

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

## test: every test target (release build, so the golden network tests run at speed), then test-checked
test: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	$(SWIFT) test $(BUILD_FLAGS) --skip-build --disable-swift-testing
	$(MAKE) test-checked

## test-checked: the tests of the untrusted-input readers (config, annotations, images, ground truth,
## safetensors header, manifest, shard reader), the fuzz regressions and the sample factory, again in
## a debug build with Swift's exclusivity, bounds and overflow checks and the address sanitizer
## (its own build folder). Leak reports are off (the Swift runtime and XCTest keep memory to the
## end); so is the Swift backtracer, which waits on the sanitizer after a crash.
CHECKED_TESTS := ExperimentConfigTests FuzzingTests SafeTensorsFileTests SafeTensorsOverflowTests SafeTensorsWriterTests ShardsTests \
  AnnotationTests AnnotationBadInputTests COCORecordsTests COCOBadInputTests ImageBadInputTests ImageSourceTests SampleFactoryTests \
  ImageSamplerTests GroundTruthFileTests GroundTruthSubsetTests
space := $() $()
test-checked: deps
	$(SWIFT) build -c debug --sanitize address --scratch-path .build-asan --build-tests
	ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no $(SWIFT) test -c debug --sanitize address --scratch-path .build-asan \
	  --skip-build --disable-swift-testing --filter '$(subst $(space),|,$(strip $(CHECKED_TESTS)))'

## demo: shards from fixtures/, heatmap pictures, a minute of training that visibly learns
# The demo trains the tiny network (128x128 crops, branch channels 8/16/32/64) on the fixture's 17
# people, K = 16 augmented copies each, then evaluates it on the 6 validation people it never saw.
# Sample ids of the train pictures step by K + 1: record i in its augmentation epoch i.
DEMO_CONFIG := experiments/mpii/w8_128x128_tiny.yaml
DEMO_DATA := fixtures/mpii
COCO_CONFIG := experiments/coco/w16_256x192_compact.yaml
COCO_DATA := fixtures/coco
demo: build
	@echo "== demo output goes to $(DEMO)/"
	@mkdir -p $(DEMO)
	@set -eo pipefail; bin="$(BIN)"; \
	echo "== shards from $(DEMO_DATA) ($(DEMO_CONFIG))"; \
	"$$bin/hrprep" build-shards --config $(DEMO_CONFIG) --root $(DEMO_DATA) --set train \
	  --out $(DEMO)/shards/train --aug-epochs 16 --seed 1 --threads 2 --overwrite; \
	"$$bin/hrprep" build-shards --config $(DEMO_CONFIG) --root $(DEMO_DATA) --set valid \
	  --out $(DEMO)/shards/valid --threads 2 --overwrite; \
	for set in train valid; do "$$bin/hrprep" verify $(DEMO)/shards/$$set; "$$bin/hrprep" inspect $(DEMO)/shards/$$set; done; \
	echo "== pictures of the training targets"; \
	"$$bin/hrprep" visualize-heatmaps --shards $(DEMO)/shards/train --samples 0,17,34,51,68,85,102,119 \
	  --out $(DEMO)/train-heatmaps.png; \
	"$$bin/hrprep" visualize-heatmaps --shards $(DEMO)/shards/valid --first 6 --out $(DEMO)/valid-heatmaps.png; \
	echo "== training the tiny network (48 epochs of 17 samples, batch 4: about a minute of CPU time on 2 cores)"; \
	rm -rf $(DEMO)/run $(DEMO)/eval; \
	"$$bin/hrnet-train" train --config $(DEMO_CONFIG) --shards $(DEMO)/shards/train --valid-shards $(DEMO)/shards/valid \
	  --out $(DEMO)/run --no-progress | grep -v '^| \|^|---\|^(Mean@0.11'; \
	echo "== PCKh of the trained network on the 6 validation people (it never trained on them; after the first epoch: 0-2%)"; \
	"$$bin/hrnet-train" evaluate --config $(DEMO_CONFIG) --weights $(DEMO)/run/final_state.safetensors \
	  --valid-shards $(DEMO)/shards/valid --out $(DEMO)/eval | grep -v '^{'; \
	"$$bin/hrprep" visualize-heatmaps --shards $(DEMO)/shards/valid --heatmaps $(DEMO)/eval/predictions.safetensors \
	  --first 6 --out $(DEMO)/valid-predictions.png; \
	echo "== COCO: shards from $(COCO_DATA) ($(COCO_CONFIG)), ground-truth and detector boxes"; \
	"$$bin/hrprep" build-shards --config $(COCO_CONFIG) --root $(COCO_DATA) --set train \
	  --out $(DEMO)/coco/train --aug-epochs 2 --threads 2 --overwrite; \
	"$$bin/hrprep" build-shards --config $(COCO_CONFIG) --root $(COCO_DATA) --set valid \
	  --out $(DEMO)/coco/valid --threads 2 --overwrite; \
	"$$bin/hrprep" build-shards --config $(COCO_CONFIG) --root $(COCO_DATA) --set valid --use-gt-bbox false \
	  --out $(DEMO)/coco/valid-det --threads 2 --overwrite; \
	"$$bin/hrprep" visualize-heatmaps --shards $(DEMO)/coco/train --first 8 --out $(DEMO)/coco-train-heatmaps.png; \
	echo "== COCO: one short epoch of the compact W16 (a few steps; the AP table follows each validation)"; \
	rm -rf $(DEMO)/coco/run $(DEMO)/coco/eval; \
	"$$bin/hrnet-train" train --config $(COCO_CONFIG) --shards $(DEMO)/coco/train --valid-shards $(DEMO)/coco/valid \
	  --out $(DEMO)/coco/run --epochs 1 --batch 8 --no-progress | grep -v '^Epoch\|^{'; \
	echo "== COCO: evaluated on the detector's boxes (results: $(DEMO)/coco/eval/keypoints_val2017_results.json)"; \
	"$$bin/hrnet-train" evaluate --config $(COCO_CONFIG) --weights $(DEMO)/coco/run/final_state.safetensors \
	  --valid-shards $(DEMO)/coco/valid-det --out $(DEMO)/coco/eval | grep -v '^{'; \
	echo; echo "== pictures to look at:"; ls -1 $(DEMO)/*.png $(DEMO)/run/*.png $(DEMO)/coco/run/*.png | sed 's/^/   /'

## bench-pytorch: hrnet-train against PyTorch (CPU) on W32 256x256 and the compact W16, batch 8,
## 2 threads, training steps and forward passes side by side: images/s, ratio, peak memory.
## PyTorch goes into a venv under .build (scripts/pytorch-venv.sh: CPU build, no CUDA packages).
PYTORCH_VENV := .build/pytorch-venv
bench-pytorch: build
	@scripts/pytorch-venv.sh $(PYTORCH_VENV)
	@mkdir -p $(DEMO)
	$(PYTORCH_VENV)/bin/python scripts/bench_pytorch.py --bin "$(BIN)" --python $(PYTORCH_VENV)/bin/python \
	  --rounds $${ROUNDS:-3} --json $(DEMO)/bench-pytorch.jsonl

## bench: speed figures (medians of several runs), printed and written as JSON lines
BENCH_TRAIN_CONFIG := experiments/mpii/w16_256x256_compact.yaml
bench: build
	@mkdir -p $(DEMO)
	@# Twice: shards to memory (/dev/shm, where there is one: the tool's own speed) and to the disk
	@# under /tmp (where the disk's write-only rate may be the bound).
	@for work in $$( [ -d /dev/shm ] && echo /dev/shm/hrprep-bench ) /tmp/hrprep-bench; do \
	  echo "== build-shards vs decode-only, shards under $$work (golden fixture images, medians of 5 rounds)"; \
	  $(BIN)/hrprep bench-build --config experiments/mpii/w32_256x256_adam_lr1e-3.yaml \
	    --root Tests/GoldenFiles/Golden/fixture --runs 5 --work $$work --json $(DEMO)/bench.jsonl || exit 1; \
	done
	@echo "== build-shards per sample, COCO-format annotations vs MPII's: same images and people, same YAML, 1 thread, train K=5 and valid, 5 alternating rounds (medians)"
	$(BIN)/hrprep bench-coco --config experiments/mpii/w32_256x256_adam_lr1e-3.yaml --root Tests/GoldenFiles/Golden/fixture \
	  --runs 5 --work $$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )/hrprep-bench-coco --json $(DEMO)/bench.jsonl
	@echo "== affine crop 256x256: ours vs OpenCV's cv::warpAffine (+ cv::flip for flipped samples), same matrices, medians of 5 runs"
	$(BIN)/hrprep bench-warp --root Tests/GoldenFiles/Golden/fixture --runs 5 --json $(DEMO)/bench.jsonl
	@echo "== GEMM: our sgemm vs OpenBLAS (OPENBLAS_CORETYPE unset for this command only: OpenBLAS's own best kernel)"
	env -u OPENBLAS_CORETYPE $(BIN)/hrnet-train benchmark gemm --runs 5 --openblas | tee $(DEMO)/gemm-benchmark.txt
	@tail -n 1 $(DEMO)/gemm-benchmark.txt >> $(DEMO)/bench.jsonl
	@echo "== HRNet: training steps and forward passes on random data (W32 and the compact W16, batch 8)"
	@for run in "w32_256x256_adam_lr1e-3.yaml" "w32_256x256_adam_lr1e-3.yaml --forward-only" \
	            "w16_256x256_compact.yaml" "w16_256x256_compact.yaml --forward-only"; do \
	  $(BIN)/hrnet-train benchmark --batch 8 --steps 3 --config experiments/mpii/$$run | tee $(DEMO)/hrnet-benchmark.txt || exit 1; \
	  tail -n 1 $(DEMO)/hrnet-benchmark.txt >> $(DEMO)/bench.jsonl; \
	done
	@echo "== training epochs over golden-fixture shards (compact W16, batch 8): data wait share, samples/s (compare the bare compact step above)"
	@rm -rf $(DEMO)/bench-train
	$(BIN)/hrprep build-shards --config $(BENCH_TRAIN_CONFIG) --root Tests/GoldenFiles/Golden/fixture --set train \
	    --out $(DEMO)/bench-train/shards --aug-epochs 3 --threads 2 >/dev/null
	$(BIN)/hrnet-train train --config $(BENCH_TRAIN_CONFIG) --shards $(DEMO)/bench-train/shards --out $(DEMO)/bench-train/run \
	    --epochs 3 --batch 8 --print-freq 1000 --no-progress | tee $(DEMO)/bench-train.txt
	@tail -n 1 $(DEMO)/bench-train.txt >> $(DEMO)/bench.jsonl
	@echo "== data-parallel on one machine: 2 ranks x 1 thread (mpirun), without and with --sync-bn, vs 1 process x 2 threads, compact W16, global batch 8, 2 epochs, 5 rounds alternating (medians)"
	@rm -rf $(DEMO)/bench-mpi; mkdir -p $(DEMO)/bench-mpi
	@set -e; train="$(BIN)/hrnet-train train --config $(BENCH_TRAIN_CONFIG) --shards $(DEMO)/bench-train/shards --epochs 2 --batch 8 \
	    --print-freq 1000 --no-progress --no-shard-checksums"; \
	root=$$([ "$$(id -u)" = 0 ] && echo OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 || true); \
	for round in 1 2 3 4 5; do \
	  $$train --out $(DEMO)/bench-mpi/one-$$round --threads 2 | tail -n 1 >> $(DEMO)/bench-mpi/one.jsonl; \
	  env $$root mpirun --oversubscribe -np 2 $$train --out $(DEMO)/bench-mpi/two-$$round --threads 1 | tail -n 1 >> $(DEMO)/bench-mpi/two.jsonl; \
	  env $$root mpirun --oversubscribe -np 2 $$train --out $(DEMO)/bench-mpi/sync-$$round --threads 1 --sync-bn \
	    | tail -n 1 >> $(DEMO)/bench-mpi/sync.jsonl; \
	done; \
	median() { grep -o "\"$$1\": [0-9.e-]*" $$2 | awk '{print $$2}' | sort -g | awk '{v[NR]=$$1} END {print v[int((NR+1)/2)]}'; }; \
	one=$$(median samples_per_s $(DEMO)/bench-mpi/one.jsonl); two=$$(median samples_per_s $(DEMO)/bench-mpi/two.jsonl); \
	sync=$$(median samples_per_s $(DEMO)/bench-mpi/sync.jsonl); \
	share=$$(median allreduce_wait_share $(DEMO)/bench-mpi/two.jsonl); syncshare=$$(median allreduce_wait_share $(DEMO)/bench-mpi/sync.jsonl); \
	line=$$(awk -v a=$$one -v b=$$two -v c=$$sync -v s=$$share -v t=$$syncshare 'BEGIN {printf "{\"bench\": \"data-parallel\", \"one_process_2_threads_images_per_s\": %.3f, \"two_ranks_1_thread_images_per_s\": %.3f, \"ratio\": %.3f, \"allreduce_wait_share\": %.4f, \"two_ranks_sync_bn_images_per_s\": %.3f, \"step_s\": %.3f, \"sync_bn_step_s\": %.3f, \"sync_bn_allreduce_wait_share\": %.4f}", a, b, b / a, s, c, 8 / b, 8 / c, t}'); \
	echo "$$line"; echo "$$line" >> $(DEMO)/bench.jsonl

## fuzz: mutated inputs into the safetensors, annotation, config and manifest readers (FUZZ_SECONDS per target)
FUZZ_SECONDS ?= 30
FUZZ_SEED ?= 1
fuzz: deps
	$(SWIFT) build $(BUILD_FLAGS) --product hrprep-fuzz
	$(BIN)/hrprep-fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --crash-dir $(DEMO)/fuzz-crashes

## lint: no line over 120 characters in Sources (the limit of .swift-format, the formatter's configuration)
SWIFT_FORMAT ?= $(shell command -v swift-format || echo /opt/swift/usr/bin/swift-format)
lint:
	@long=$$(LC_ALL=C.UTF-8 grep -rnP '^.{121,}$$' Sources --include='*.swift' --include='*.h' --include='*.c' --include='*.cpp' || true); \
	if [ -n "$$long" ]; then echo "$$long" | cut -c1-160; echo "lint: $$(echo "$$long" | wc -l) line(s) over 120 characters in Sources (wrap them; see .swift-format)"; exit 1; fi; \
	echo "lint: no line over 120 characters in Sources"

## format: FILES=... reformats the given Swift files with .swift-format (in place; review the diff)
format:
	@test -n "$(FILES)" || { echo "usage: make format FILES='Sources/X/Y.swift ...'"; exit 1; }
	$(SWIFT_FORMAT) format --configuration .swift-format --in-place $(FILES)

clean:
	rm -rf .build .build-asan $(DEMO)
