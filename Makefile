# ldirectord-ng: every entry point a person or CI uses. `make check` is the whole gate.
SHELL := /bin/bash
.DEFAULT_GOAL := build
# Every test runs on the pinned Node the package ships (.ci/node-runtime: npm's node-linux-<arch>,
# sha512-checked, cached in /var/cache/ldirectord-ng), first in PATH so spawned `node`s are it too.
NODE24 = "$$(.ci/node-runtime)"
JEST := PATH="$$(dirname "$$(.ci/node-runtime)"):$$PATH" NODE_OPTIONS=--experimental-vm-modules node node_modules/jest/bin/jest.js --forceExit

.PHONY: setup build lint typecheck test-unit check-fast check check-slow test-peers test-kernel test-e2e \
        test-deb test-stock test-systemd deb demo bench bench-parser bench-ipvs bench-checks clean

setup:
	bash .ci/setup

# dist/ (tsc: tests and tools import it) and dist/bundle/ (esbuild: what bin/ldirectord runs).
build: setup
	npx tsc -p tsconfig.build.json
	scripts/bundle.sh

lint: setup
	npx eslint .

typecheck: setup
	npx tsc -p tsconfig.json --noEmit

# Unit tests, the IPVS contract suite on the fake, and real-peer check tests on loopback.
test-unit: setup
	$(JEST)

# Quick iteration gate: no guest, no package build.
check-fast: lint typecheck test-unit

# The whole gate: everything CI runs (unit + real peers, then the real kernel in the QEMU guest:
# the rig's self-test, the IPVS contract suite, the seed scenario end to end, the .deb upgrade,
# a director pair under Pacemaker (test-ha), the systemd unit under a real systemd). `make check-slow`
# adds the stock Debian 12/13 test and the parity sweep over the corpus.
check: check-fast build
	$(MAKE) test-vm
	$(MAKE) test-kernel
	$(MAKE) test-e2e
	$(MAKE) test-ha
	$(MAKE) test-deb
	$(MAKE) test-parity
	$(MAKE) test-systemd NODEB=1
	$(MAKE) test-stock NODEB=1 STOCK_SUITES=bookworm

# ldirectord-ng vs Perl ldirectord and keepalived, host + QEMU guest (issue 7); not part of check.
# Quick run: make bench BENCH_SIZES=10,100. Writes bench/results/{host,guest,results}.json, summary.md, bench.svg.
bench: build vm-setup
	npx tsc -p bench/tsconfig.json
	BENCH_SIZES="$(BENCH_SIZES)" BENCH_WHERE="$(BENCH_WHERE)" bash bench/bench.sh

# Parser speed (issue 2): 812-line production file warm < 20 ms, 10,000 virtuals / 100,000 reals < 1 s.
bench-parser: setup
	npx tsc --outDir dist --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
	  --strict --skipLibCheck --types node bench/parser.ts
	node dist/bench/parser.js

# Health-check speed (issue 4): 1,000 loopback HTTP reals, capacity on one core, schedule with 5% black
# holes, and Debian's ldirectord (serial loop) on the same file; prints the figures and the ratio. Not in check.
bench-checks: setup
	npx tsc --outDir dist --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
	  --strict --skipLibCheck --types node bench/checks.ts
	node dist/bench/checks.js

# Check load on the host for profiling (issue 16): the bench's scenario and farm, the daemon on its fake
# IPVS backend; prints start, CPU per 1,000 checks and peak RSS as JSON. PERF_ARGS="--n 10000 --node-flag --cpu-prof".
.PHONY: perf-checks
perf-checks: build
	npx tsc --outDir dist --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
	  --strict --skipLibCheck --types node test/perf/checkload.ts bench/farm.ts
	nice -n 10 node dist/test/perf/checkload.js $(PERF_ARGS)

clean:
	rm -rf dist coverage

# QEMU rig (test/vm): Debian's kernel with IPVS in a guest; `test/vm/run -- CMD` runs CMD in it.
.PHONY: vm-setup test-vm vm-demo-dr vm-demo-nat
# Downloads and prepares the kernel and initramfs in $VMRIG (default .vmrig/); fast when cached.
vm-setup: setup
	test/vm/setup

# Self-test of the rig: IPVS, node, exit codes, timeout, writable shares, concurrent runs.
test-vm: vm-setup
	test/vm/selftest.sh

# The seed's LVS-DR (and an LVS-NAT) scenario with plain ipvsadm in the guest.
vm-demo-dr: vm-setup
	test/vm/run -t 300 -- test/vm/demo-dr.sh

vm-demo-nat: vm-setup
	test/vm/run -t 300 -- test/vm/demo-nat.sh

# Debian package (issue 6): build/deb/ldirectord-ng_<version>_<arch>.deb via dpkg-buildpackage, lintian-clean of errors.
deb: build
	debian/make-deb.sh build/deb

# Upgrade test in the QEMU guest: Debian's ldirectord running the seed's LVS-DR under load is
# replaced by the .deb with zero failed requests; the OCF agent, dpkg -r and dpkg -P; then an
# init-managed Debian ldirectord handed over with service actions denied during the install.
test-deb: deb vm-setup
	test/deb/fetch-ldirectord.sh build/upstream
	test/vm/run -t 2400 -m 1536 -w build/deb -- test/deb/upgrade.sh build/deb "$$(ls build/upstream/ldirectord_*.deb | head -n 1)"

# The .deb on stock Debian 12 and 13 (issue 15): minimal debootstrap roots cached in
# /var/cache/ldirectord-ng/roots (from this machine's apt mirror), `apt-get install ./…deb` there
# (no nodejs), then `ldirectord -t` and the seed's scenario with the installed files in the guest.
# NODEB=1: use the build/deb that an earlier target of the same run built (make deb takes minutes).
DEB_DEP = $(if $(NODEB),,deb)
# STOCK_SUITES: which roots (default bookworm and trixie; check runs bookworm, check-slow both).
test-stock: $(DEB_DEP) vm-setup
	test/stock/run.sh build/deb $(STOCK_SUITES)

# ldirectord.service under a real systemd (issue 15): the stock Debian 12 root with the package
# boots in systemd-nspawn in the guest: start, reload, killed daemon restarted, stop per cleanstop.
test-systemd: $(DEB_DEP) vm-setup
	test/systemd/run.sh build/deb

# IPVS layer (issue 3): the contract suite through netlink and ipvsadm on the guest's real kernel.
test-kernel: vm-setup
	test/vm/run -t 1200 -- env LDNG_KERNEL=1 NODE_OPTIONS=--experimental-vm-modules \
	  PATH="$$(dirname "$$(.ci/node-runtime)"):/usr/sbin:/usr/bin:/sbin:/bin" \
	  $(NODE24) node_modules/jest/bin/jest.js --runInBand --ci test/kernel

# IPVS benchmark in the guest: 10,000 dests over 1,000 services, netlink vs ipvsadm per op vs -R.
# Compiled on its own (tsc with the bench as root file) so it does not depend on the whole build.
bench-ipvs: setup vm-setup
	npx tsc --module NodeNext --moduleResolution NodeNext --target ES2022 --lib ES2023 --types node \
	  --strict --skipLibCheck --outDir dist --rootDir . bench/ipvs.ts
	test/vm/run -t 3000 -m 1536 -- node dist/bench/ipvs.js

# The daemon on a real kernel (issue 5): the seed's LVS-DR scenario end to end with our ldirectord
# (start, rr/wlc, failures, autoreload, broken save, stop, the VDM https variant) in the guest.
test-e2e: build vm-setup
	test/vm/run -t 1500 -e LDNG_NODE=$(NODE24) -- test/e2e/seed.sh

# The README's first command: boots the guest and replays the seed's tutorial with ldirectord-ng:
# the ipvsadm table, 20 alternating requests, a server failing and being taken out, coming back.
demo: build vm-setup
	test/vm/run -t 900 -e LDNG_NODE=$(NODE24) -- test/e2e/seed.sh demo

# Re-captures the real kernel's netlink replies and ipvsadm views into fixtures/ (rarely needed).
.PHONY: capture-ipvs
capture-ipvs: setup vm-setup
	npx tsc --module NodeNext --moduleResolution NodeNext --target ES2022 --lib ES2023 --types node,jest \
	  --strict --skipLibCheck --outDir dist/ipvs-capture --rootDir . test/kernel/capture.ts
	test/vm/run -t 300 -w $(CURDIR)/fixtures/netlink -w $(CURDIR)/fixtures/ipvsadm -- \
	  node dist/ipvs-capture/test/kernel/capture.js $(CURDIR)

# An interactive shell in the guest (stdin forwarded; type `exit` to power off).
.PHONY: vm-shell
vm-shell: vm-setup
	test/vm/run -i -t 86400 -- env PS1='vm# ' bash --norc -i

# Table and log parity with Debian's Perl ldirectord (issue 12) in the QEMU guest: each config's reals
# served from a network namespace in three states (all up, some down, changing while running); Perl's
# daemon then ours on a fresh table; tables compared as sets, log messages as multisets; writes
# test/parity/last-run.md. test-parity (in check): the seed's config (TCG budget: ~6 daemon runs);
# check-slow: test-parity-corpus below.
.PHONY: test-parity test-parity-corpus check-slow
PARITY_OUT := build/parity
PARITY_CONFIGS := test/parity/configs/seed.cf
test-parity: build vm-setup
	rm -rf $(PARITY_OUT) && mkdir -p $(PARITY_OUT)
	test/vm/run -t 1800 -w $(CURDIR)/$(PARITY_OUT) -- test/parity/run.sh $(CURDIR)/$(PARITY_OUT) $(PARITY_CONFIGS)
	node test/parity/compare.mjs $(PARITY_OUT) test/parity/last-run.md

# directives.cf, the corpus (absent ../shared/corpus: skipped) and the project's fixture configs (one
# per distinct config). Resumable: test/parity/sweep.sh boots the guest in
# 30-minute turns (each a batch of configs) and keeps what earlier turns recorded in
# build/parity-corpus; `rm -rf build/parity-corpus` starts over. PARITY_LOCK=FILE makes every boot
# wait its turn on `flock FILE` (machines shared by several guest users).
PARITY_FIXTURES := fixtures/seed/vdm-ldirectord.cf fixtures/seed/failover-ldirectord.cf \
  fixtures/plans/fallback-all-down/config.cf fixtures/plans/quiescent-down-never-programmed/config.cf \
  fixtures/plans/readdquiescent-removed-by-hand/config.cf fixtures/plans/vdm-real-down-deleted/config.cf \
  fixtures/plans/foreign-and-edit/config.cf fixtures/plans/seed-fresh-start/config.cf fixtures/configs/valid/crlf.cf \
  fixtures/plans/shared-real-down/config.cf
test-parity-corpus: build vm-setup
	@files="$(CURDIR)/test/parity/configs/directives.cf $$(test/parity/corpus-files.sh ../shared/corpus) $(addprefix $(CURDIR)/,$(PARITY_FIXTURES))"; \
	test/parity/sweep.sh $(CURDIR)/$(PARITY_OUT)-corpus $$files; \
	node test/parity/compare.mjs $(PARITY_OUT)-corpus test/parity/last-run-corpus.md

# Everything in check plus the suites too slow for its 60-minute budget: the stock-system test on
# both releases (two debootstrap roots, cold ~5 min each), parity over the whole corpus.
check-slow: check
	$(MAKE) test-stock NODEB=1
	$(MAKE) test-parity-corpus

# Issue 13: >= 1,000,000 configs through the parser and >= 100,000 replies through each reply parser
# (HTTP against node:http as the oracle, DNS, RADIUS, SMTP coded lines). Not in check; prints its counts.
# Smaller: make fuzz FUZZ_CONFIGS=10000 FUZZ_REPLIES=1000. Last full run: test/fuzz/last-run.txt.
.PHONY: fuzz
fuzz: setup
	npx tsc --outDir dist --rootDir . --module nodenext --moduleResolution nodenext --target es2022 \
	  --strict --skipLibCheck --types node test/fuzz/fuzz.ts
	$(if $(FUZZ_CONFIGS),FUZZ_CONFIGS=$(FUZZ_CONFIGS)) $(if $(FUZZ_REPLIES),FUZZ_REPLIES=$(FUZZ_REPLIES)) nice -n 10 node dist/test/fuzz/fuzz.js

# A director pair under a real Pacemaker/corosync cluster (issue 11; test/ha/README.md): two director
# namespaces in one guest, each with its own corosync + pacemaker; the classic layout (group, no sync)
# and the warm one (ldirectord-ng cloned on both, IPVS connection sync) each lose their active
# director under load; prints gap, surviving connections and failed requests for both.
.PHONY: test-ha demo-ha
test-ha: build vm-setup
	test/ha/cib.sh build/ha
	test/vm/run -t 3000 -m 1536 -- test/ha/ha.sh test build/ha

# The seed's last section ("Removing the director SPOF"), narrated: the warm pair, crm_mon, both
# tables, the sync daemons, the active director killed, the survivor holding the synced connections.
demo-ha: build vm-setup
	test/ha/cib.sh build/ha
	test/vm/run -t 3000 -m 1536 -- test/ha/ha.sh demo build/ha
