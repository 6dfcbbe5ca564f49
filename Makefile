# Two commands for a new user: `make demo` and `make test`. Each installs what it
# needs first (Debian packages, the pinned tools in .venv, the local test image).
SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CONTAINERS_CONF := $(CURDIR)/testbed/containers.conf

DEMO_HOST := flask-demo
PLAYBOOKS := site.yml $(wildcard playbooks/*.yml)

.PHONY: setup image scanners demo demo-down lint test

setup:
	@testbed/bootstrap.sh

image: setup
	@testbed/image.sh

demo: image
	@testbed/host.sh up $(DEMO_HOST) --ssh-port 2222 \
		--publish 127.0.0.1:8080:80 --publish 127.0.0.1:8443:443
	ansible-playbook -i inventories/local site.yml
	@echo
	@echo "The site is up: https://localhost:8443/  (http://localhost:8080/ redirects there)"
	@echo "Verify it with its CA: curl --cacert .demo/ca.crt https://localhost:8443/"

demo-down:
	@testbed/host.sh down $(DEMO_HOST)

lint: setup
	yamllint --strict .
	ansible-lint
	@for playbook in $(PLAYBOOKS); do \
		for inventory in inventories/*/; do \
			ansible-playbook --syntax-check -i $$inventory $$playbook >/dev/null || exit 1; \
		done; \
	done; echo "syntax check passed: $(PLAYBOOKS)"

# The outside tools the tests grade the site with: testssl.sh, the HTTP Observatory.
scanners: setup
	@testbed/scanners.sh

test: lint image scanners
	molecule test --all
