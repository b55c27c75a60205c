# BitSweep — the two commands the README opens with:
#   make report   set up, build, run the default sweep on Inputs/ and write the report into Reports/
#   make test     set up (Debian packages, the tests' Python environment) and run the whole test suite (what CI runs)
#   make dist     a relocatable release tarball for cluster nodes and the Containerfile
SWIFT ?= swift
CONFIG ?= release

.PHONY: setup build install report test gallery dist clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product bitsweep

PREFIX ?= /usr/local
install: build
	install -m 0755 $$($(SWIFT) build -c $(CONFIG) --show-bin-path)/bitsweep $(PREFIX)/bin/bitsweep

report: build
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/bitsweep sweep Inputs/sweep.yaml

gallery: build
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/bitsweep gallery --out Reports/gallery

# The two suites that judge timing (a real slow-down must be called, identical runs must not be) run after the
# rest, each on its own, so that the suite's own parallel load (LaTeX, Chromium, concurrent sweeps) does not
# change the machine's speed between the runs they compare. Everything else runs in parallel first.
TIMING_SUITES = NightlyHistoryCLITests|TimingNoiseCLITests

test: setup
	@bash scripts/test-venv.sh >/dev/null
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(TIMING_SUITES)'
	$(SWIFT) test --skip-build --filter NightlyHistoryCLITests
	$(SWIFT) test --skip-build --filter TimingNoiseCLITests

# A relocatable release (Swift runtime linked in) as dist/bitsweep-VERSION-linux-ARCH.tar.gz, with the Debian
# runtime packages a node needs listed inside; checked to run from a copy outside the tree (scripts/dist.sh).
dist: setup
	SWIFT=$(SWIFT) bash scripts/dist.sh

clean:
	rm -rf .build dist
