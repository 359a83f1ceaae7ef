# The two commands a newcomer needs: `make run` and `make test`.
VENV := .venv
STAMP := $(VENV)/.installed
HELPLINE := $(VENV)/bin/helpline

.PHONY: install run test train doctor bench bench-quick clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml scripts/install.sh
	@scripts/install.sh

run: install
	@$(HELPLINE) run

test: install
	@$(HELPLINE) test

train: install
	@$(HELPLINE) train

doctor: install
	@$(HELPLINE) doctor

bench: install
	@$(HELPLINE) bench

bench-quick: install
	@$(HELPLINE) bench --quick

clean:
	rm -rf models results .pytest_cache
