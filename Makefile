# Everyday verbs for working on the template. Each bootstraps what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo
# The demo keeps its SQLite file inside demo/, so it never touches your real data directory.
DEMO_ENV := env -u MYAPP_DATABASE_URL XDG_DATA_HOME=$(CURDIR)/$(DEMO)/data UV_PYTHON_DOWNLOADS=never

.PHONY: demo test bench bench-backfill bench-locks bench-online bench-scratch clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

test: $(BIN)/.installed
	$(BIN)/pytest

# Whole-process timings of migrate() at start; writes benchmarks/results.md (minutes).
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/migrate_at_start.py

# Query waits behind a migration blocked on a table lock (PostgreSQL); writes benchmarks/lock_wait.md (minutes).
bench-locks: $(BIN)/.installed
	$(BIN)/python benchmarks/lock_wait.py

# A writer's longest wait while a revision indexes or constrains a big table, plain and
# online forms (PostgreSQL); writes benchmarks/online_steps.md (minutes).
bench-online: $(BIN)/.installed
	$(BIN)/python benchmarks/online_steps.py

# A writer's longest wait during a million-row backfill, one UPDATE against
# op.batched_update() (PostgreSQL); writes benchmarks/backfill.md (minutes).
bench-backfill: $(BIN)/.installed
	$(BIN)/python benchmarks/backfill.py

# db check --scratch at 10, 50 and 200 revisions; writes benchmarks/check_scratch.md (minutes).
bench-scratch: $(BIN)/.installed
	$(BIN)/python benchmarks/check_scratch.py

demo: $(BIN)/.installed
	rm -rf $(DEMO)
	$(BIN)/copier copy --quiet --defaults --vcs-ref=HEAD . $(DEMO)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(DEMO)/.venv
	$(BIN)/uv pip install --quiet --python $(DEMO)/.venv/bin/python --editable $(DEMO)
	cd $(DEMO) && $(DEMO_ENV) .venv/bin/alembic upgrade head
	cd $(DEMO) && $(DEMO_ENV) .venv/bin/alembic current
	cd $(DEMO) && $(DEMO_ENV) .venv/bin/python -c "$$SHOW_ACCOUNTS"

clean:
	rm -rf $(VENV) $(DEMO)

define SHOW_ACCOUNTS
from sqlalchemy import select
from myapp.db import get_engine, get_url
from myapp.models import Account

print("Database:", get_url())
with get_engine().connect() as connection:
    for row in connection.execute(select(Account).order_by(Account.id)):
        print(f"  account {row.id}: {row.name}, created {row.create_date}")
endef
export SHOW_ACCOUNTS
