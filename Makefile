# Two commands for a new user: `make demo` and `make test`. Each installs what it
# needs first (Debian packages, the pinned tools in .venv, the local test image).
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CONTAINERS_CONF := $(CURDIR)/testbed/containers.conf

# The Debian release of the demo and bench hosts: 13 (trixie) or 12 (bookworm).
DEBIAN ?= 13
export DEBIAN

DEMO_HOST := flask-demo
CLUSTER_HOSTS := cluster-lb cluster-app1 cluster-app2
PLAYBOOKS := site.yml $(wildcard playbooks/*.yml)

.PHONY: setup image images scanners ci-tools importer docs changelog collection demo demo-cluster demo-down lint unit sanity test bench bench-tune

setup:
	@testbed/bootstrap.sh

image: setup
	@testbed/image.sh

# Both releases, for the test matrix (testbed/scenarios.sh).
images: setup
	@DEBIAN=13 testbed/image.sh
	@DEBIAN=12 testbed/image.sh

demo: image
	@testbed/host.sh up $(DEMO_HOST) --ssh-port 2222 \
		--publish 127.0.0.1:8080:80 --publish 127.0.0.1:8443:443
	ansible-playbook -i inventories/local site.yml
	@echo
	@echo "The site is up on Debian $(DEBIAN): https://localhost:8443/  (http://localhost:8080/ redirects there)"
	@echo "Verify it with its CA: curl --cacert .demo/ca.crt https://localhost:8443/"

# A fleet: one load balancer and two app servers, reached over SSH like `make demo`.
demo-cluster: image
	@testbed/host.sh up cluster-lb --ssh-port 2250 \
		--publish 127.0.0.1:9080:80 --publish 127.0.0.1:9443:443
	@testbed/host.sh up cluster-app1 --ssh-port 2251
	@testbed/host.sh up cluster-app2 --ssh-port 2252
	ansible-playbook -i inventories/cluster site.yml
	@echo
	@echo "The fleet is up on Debian $(DEBIAN): https://localhost:9443/  (http://localhost:9080/ redirects there)"
	@echo "Verify it with its CA: curl --cacert .demo/ca.crt https://localhost:9443/"

demo-down:
	@testbed/host.sh down $(DEMO_HOST) $(CLUSTER_HOSTS)

lint: setup
	yamllint --strict .
	ansible-lint
	@mkdir -p .cache
	@ansible-docsmith validate . --strict >.cache/docsmith-check.log 2>&1 \
		|| { cat .cache/docsmith-check.log; echo "a spec disagrees with its defaults file (above): fix one of them"; exit 1; }
	@ansible-docsmith generate . --check >.cache/docsmith-check.log 2>&1 \
		|| { cat .cache/docsmith-check.log; echo "role docs drifted from meta/argument_specs.yml: run make docs"; exit 1; }
	@echo "role READMEs and defaults match their specs"
	antsibull-changelog lint
	@python testbed/check-ports.py
	@for playbook in $(PLAYBOOKS); do \
		for inventory in inventories/*/; do \
			ansible-playbook --syntax-check -i $$inventory $$playbook >/dev/null || exit 1; \
		done; \
	done; echo "syntax check passed: $(PLAYBOOKS)"

# Every role's README variable section and defaults comments, from its meta/argument_specs.yml.
docs: setup
	ansible-docsmith generate .

# CHANGELOG.md from changelogs/: add a fragment to changelogs/fragments/ first (README).
changelog: setup
	antsibull-changelog lint
	antsibull-changelog generate

# The collection tarball, .cache/collection/flaskops-production-VERSION.tar.gz, checked by
# galaxy-importer (Galaxy's own checks, in a venv of its own).
collection: setup importer
	@mkdir -p .cache/collection
	ansible-galaxy collection build --force --output-path .cache/collection .
	testbed/importer.sh .cache/collection/flaskops-production-*.tar.gz

importer:
	@testbed/importer.sh

# The outside tools the tests grade the site with: testssl.sh, the HTTP Observatory.
scanners: setup
	@testbed/scanners.sh

# What the pipelines scenario runs the CI pipelines with: gitlab-ci-local (npm, pinned
# for Node.js 20) and rsync, check-jsonschema and zizmor (their own venv, .cache/ci-tools).
ci-tools: setup
	@testbed/ci-tools.sh

# The collection's modules and plugins on their own, without a host: seconds, run first.
unit: setup
	python -m pytest -q -p no:cacheprovider tests/unit

# ansible-test sanity (validate-modules, compile, import, pylint) on the built collection.
sanity: setup
	@testbed/sanity.sh

# Every molecule scenario on Debian 13, and the single-host ones on Debian 12 too,
# TEST_JOBS at a time (each boots its own hosts).
TEST_JOBS ?= 2
test: unit lint sanity images scanners ci-tools importer
	testbed/scenarios.sh -j $(TEST_JOBS)

# Serving and provisioning speed on the bench hosts flask-bench(-2..4), SSH 2260-2263:
# prints the table, writes bench/results/bench.{json,md,png}. About 15 minutes on a
# quiet machine. Debian 13 hosts unless DEBIAN=12.
bench: image
	python bench/bench.py

# What each serving default changes against its alternatives, on flask-bench:
# writes bench/results/tuning.{json,md}. About 10 minutes.
bench-tune: image
	python bench/tune.py
