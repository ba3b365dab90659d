# gsctl: build, test and demo on a fresh Debian 12 machine with Swift 6 at /opt/swift.
# The two set-up commands of the README are `make demo` and `make test`.

SWIFT ?= swift
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
GSCTL := .build/release/gsctl
DEMO := .demo

# Debian packages the build, the tests and the demo need (checked by `make deps`).
DEB_PACKAGES := pkg-config libyaml-dev libarchive-dev libssl-dev libpng-dev libturbojpeg0-dev \
	chromium opencv-doc fonts-dejavu-core git iproute2 openssh-server openssh-client python3-venv python3-pip time \
	python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav

ORACLE := .venv-oracle

.PHONY: all build test demo lint deps models oracle install bench fuzz clean

all: build

# The Swift runtime is linked statically: the agent is one file plus Debian's libyaml,
# libarchive and libcrypto on a device. Without Foundation and DWARF (symbols stay, for
# backtraces) that file is about 19 MB, and `gsctl agent install` copies it to each host.
build: deps
	$(SWIFT) build -c release --product gsctl --static-swift-stdlib -Xlinker --strip-debug

test: deps models oracle
	$(SWIFT) build --build-tests
	GSCTL_PYTHON=$(CURDIR)/$(ORACLE)/bin/python $(SWIFT) test
	@echo "== the example services' task programs (Specs/workflows/tests)"
	PYTHONDONTWRITEBYTECODE=1 $(ORACLE)/bin/python -m unittest discover -s Specs/workflows/tests
	bash Fuzz/run.sh --build-only

demo: build models
	@mkdir -p $(DEMO)/keys Bundles
	@echo "== gsctl lint Specs"
	$(GSCTL) lint Specs
	@echo "== gsctl plan Specs"
	$(GSCTL) plan Specs
	$(GSCTL) plan Specs --format html --out Bundles/plan.html
	@echo "== wrote Bundles/plan.html (Graph and Tree views; open it in a browser)"
	@test -f $(DEMO)/keys/demo.key || $(GSCTL) keygen --out $(DEMO)/keys/demo
	@echo "== gsctl build Specs (optimize every model x device x precision, pack signed bundles)"
	$(GSCTL) build Specs --sign $(DEMO)/keys/demo.key
	@echo "== gsctl bundle verify"
	@for bundle in Bundles/*.tar.zst; do $(GSCTL) bundle verify $$bundle --key $(DEMO)/keys/demo.pub || exit 1; done
	@echo "== gsctl agent install local-1 (the demo host: a folder under .demo/hosts; pins the demo key)"
	$(GSCTL) agent install local-1 --trust $(DEMO)/keys/demo.pub
	@echo "== gsctl apply (deploys what is checked out, even uncommitted: --allow-dirty)"
	$(GSCTL) apply Specs --only crowd-density-demo --sign $(DEMO)/keys/demo.key --allow-dirty
	@echo "== gsctl status"
	$(GSCTL) status Specs --host local-1
	@echo "== gsctl status --models (what precision: auto measured on the host and chose)"
	$(GSCTL) status Specs --host local-1 --models
	@echo "== gsctl logs (the detect task's last lines, read from the host; -f follows)"
	$(GSCTL) logs local-1/detect --tail 3 Specs
	@echo "== the crowd service answers on http://127.0.0.1:8080/status (counts from vtest.avi)"
	@python3 scripts/show-crowd-status.py http://127.0.0.1:8080/status

lint: build
	$(SWIFT) format lint --strict --recursive Sources Tests
	$(GSCTL) lint --strict Specs

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

models:
	bash scripts/fetch-models.sh

# Python with onnxruntime, onnx, numpy and Pillow: the reference the tests compare against.
oracle: $(ORACLE)/.installed

$(ORACLE)/.installed: Tests/oracle/requirements.txt
	python3 -m venv $(ORACLE)
	$(ORACLE)/bin/pip install --quiet --disable-pip-version-check -r Tests/oracle/requirements.txt
	touch $@

install: build
	install -D -m 0755 $(GSCTL) $(DESTDIR)$(PREFIX)/bin/gsctl

bench: build
	GSCTL=$(GSCTL) bash bench/lint_scale/run.sh
	GSCTL=$(GSCTL) bash bench/executor_vs_ort/run.sh
	GSCTL=$(GSCTL) bash bench/quantize_vs_ort/run.sh
	GSCTL=$(GSCTL) bash bench/dynamic_vs_ort/run.sh
	GSCTL=$(GSCTL) bash bench/pipeline/run.sh
	GSCTL=$(GSCTL) bash bench/deploy_vs_ansible/run.sh

fuzz:
	bash Fuzz/run.sh $(FUZZ_SECONDS)

clean:
	-@test -x $(GSCTL) && for h in $(DEMO)/hosts/*; do [ -d "$$h" ] && $(GSCTL) agent stop --root "$$h" 2>/dev/null; done; true
	rm -rf .build Fuzz/.build $(DEMO) $(ORACLE) Bundles/*.html Bundles/*.tar.zst Bundles/*.json Bundles/*.md Bundles/blobs Bundles/cache
