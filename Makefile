# The README's two commands: `make demo` (set up, build, run the main job) and `make test`.
SWIFT ?= swift

PREFIX ?= /usr/local

.PHONY: setup setup-test build release demo test doctor install clean fuzz

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

# The main job: the whole pipeline on synthetic data.
demo: release
	.build/release/melanoma doctor
	.build/release/melanoma demo --out demo-out

doctor: release
	.build/release/melanoma doctor

# Puts `melanoma` on the PATH. The binary finds libtorch in this checkout's .venv (an rpath), so keep the
# checkout where it is, or rebuild after moving it.
install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 .build/release/melanoma $(DESTDIR)$(PREFIX)/bin/melanoma
	@echo "installed $(DESTDIR)$(PREFIX)/bin/melanoma"

# Tests run one at a time: libtorch already uses every core, and the memory test reads RSS.
test: setup-test
	$(SWIFT) build --build-tests
	MELANOMA_PYTHON=$(CURDIR)/.venv/bin/python $(SWIFT) test --skip-build --no-parallel

# libFuzzer on the readers of user files, FUZZ_SECONDS per target; not part of `make test` (see scripts/fuzz.sh).
FUZZ_SECONDS ?= 60
fuzz: setup-test
	$(SWIFT) build
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build
