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

# The whole gate: everything CI runs (unit + real peers, then the real kernel in the QEMU guest:
# the rig's self-test, the IPVS contract suite, the seed scenario end to end, the .deb upgrade,
# the director pair under Pacemaker).
check: check-fast build
	$(MAKE) test-vm
	$(MAKE) test-kernel
	$(MAKE) test-e2e
	$(MAKE) test-deb
	$(MAKE) test-ha

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

# IPVS layer (issue 3): the contract suite through netlink and ipvsadm on the guest's real kernel.
test-kernel: vm-setup
	test/vm/run -t 1200 -- env LDNG_KERNEL=1 NODE_OPTIONS=--experimental-vm-modules \
	  node node_modules/jest/bin/jest.js --runInBand --ci test/kernel

# IPVS benchmark in the guest: 10,000 dests over 1,000 services, netlink vs ipvsadm per op vs -R.
# Compiled on its own (tsc with the bench as root file) so it does not depend on the whole build.
bench-ipvs: setup vm-setup
	npx tsc --module NodeNext --moduleResolution NodeNext --target ES2022 --lib ES2023 --types node \
	  --strict --skipLibCheck --outDir dist --rootDir . bench/ipvs.ts
	test/vm/run -t 3000 -m 1536 -- node dist/bench/ipvs.js

# The daemon on a real kernel (issue 5): the seed's LVS-DR scenario end to end with our ldirectord
# (start, rr/wlc, failures, autoreload, broken save, stop, the VDM https variant) in the guest.
test-e2e: build vm-setup
	test/vm/run -t 1500 -- test/e2e/seed.sh

# The README's first command: boots the guest and replays the seed's tutorial with ldirectord-ng:
# the ipvsadm table, 20 alternating requests, a server failing and being taken out, coming back.
demo: build vm-setup
	test/vm/run -t 900 -- test/e2e/seed.sh demo

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

# A director pair under a real Pacemaker/corosync cluster (issue 11; test/ha/README.md): two director
# namespaces in one guest, each with its own corosync + pacemaker; the classic layout (group, no sync)
# and the warm one (ldirectord-ng cloned on both, IPVS connection sync) each lose their active
# director under load; prints gap, surviving connections and failed requests for both.
.PHONY: test-ha demo-ha
test-ha: build vm-setup
	test/ha/cib.sh build/ha
	test/vm/run -t 1500 -m 1536 -- test/ha/ha.sh test build/ha

# The seed's last section ("Removing the director SPOF"), narrated: the warm pair, crm_mon, both
# tables, the sync daemons, the active director killed, the survivor holding the synced connections.
demo-ha: build vm-setup
	test/ha/cib.sh build/ha
	test/vm/run -t 1500 -m 1536 -- test/ha/ha.sh demo build/ha
