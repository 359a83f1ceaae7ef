# The two commands a newcomer needs: `make run` and `make test`.
VENV := .venv
STAMP := $(VENV)/.installed
HELPLINE := $(VENV)/bin/helpline

.PHONY: install run run-scaled test train doctor bench bench-quick scale-test clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml scripts/install.sh
	@scripts/install.sh

run: install
	@$(HELPLINE) run

# Several Rasa servers behind nginx (SERVERS=2 by default); needs PostgreSQL and Redis settings (README, Scaling out).
run-scaled: install
	@$(HELPLINE) run --servers $(or $(SERVERS),2)

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
