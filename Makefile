# Two entry points a newcomer needs: `make console` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: console test bench sandbox run catalogs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

console: $(STAMP)
	$(BIN)/checkout-bot console

test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot
	$(BIN)/hadolint Dockerfile

bench: $(STAMP)
	$(BIN)/python bench/latency.py

sandbox: $(STAMP)
	$(BIN)/checkout-bot sandbox

run: $(STAMP)
	$(BIN)/checkout-bot run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Message catalogs (locales/): extract the texts marked t("…") / N_("…") in bot/, merge them into
# each language's bot.po (created when missing), and compile bot.mo next to each. New texts arrive
# untranslated and reworded ones leave `#~` obsolete entries behind: tests/test_i18n.py fails until
# a translator has dealt with both.
CATALOG_LANGUAGES := en ar

catalogs: $(STAMP)
	$(BIN)/pybabel extract -k t -k N_ --no-default-keywords --no-location --sort-output \
		-o locales/bot.pot bot/
	for language in $(CATALOG_LANGUAGES); do \
		$(BIN)/pybabel update --init-missing --no-fuzzy-matching --ignore-pot-creation-date \
			-D bot -i locales/bot.pot -d locales -l $$language || exit 1; \
	done
	$(BIN)/pybabel compile -d locales -D bot
