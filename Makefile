# boxoffice: PGXS build of the extension, plus the two entry points of the README.
#   make run    build, install, start a local PostgreSQL with pg_cron and demo data
#   make test   build, install, run every test (pg_regress, isolation, pgTAP, stress)
#   make bench  benchmarks: SQL against the seed-style baseline, the waiting room against
#               pgbench -N/-S, purchases with points against the seed-style baseline,
#               HTTP against direct libpq, the on-sale storm (10k buyers,
#               1k seats, without and with the waiting room),
#               10,000 keep-alive connections through the front against one shim alone
#               (they report; they are not part of the tests)

EXT_NAME   = boxoffice
EXTVERSION = 0.5.2
# the last released version: the upgrade under way starts from it
PREVIOUS_VERSION = 0.5.1

MODULE_big = boxoffice
OBJS = $(patsubst %.cpp,%.o,$(wildcard extension/src/*.cpp))

# The install script of the newest version is assembled from one file per
# concern, in this order. extension/versions/ holds the released install
# scripts, frozen (the newest one must equal what the parts assemble: the
# upgrade test checks), and the chain of upgrade scripts. None is ever edited.
SQL_PARTS = $(addprefix extension/sql/,schema.sql errors.sql input.sql identity.sql catalog.sql accounts.sql reads.sql engine.sql claims.sql waiting_room.sql idempotency.sql wallet.sql payments.sql card_payments.sql operations.sql backup.sql security.sql)
DATA_built = build/$(EXT_NAME)--$(EXTVERSION).sql
DATA = extension/$(EXT_NAME).control \
       $(filter-out extension/versions/$(EXT_NAME)--$(EXTVERSION).sql,$(wildcard extension/versions/$(EXT_NAME)--*.sql))
MODULEDIR = extension

REGRESS = catalog accounts hold confirm release_cancel reads expiry sweep security invariants durability input_limits try_hold waiting_room payments card_payments idempotent_holds
REGRESS_OPTS = --inputdir=. --outputdir=build/regress --load-extension=pgcrypto --load-extension=boxoffice
ISOLATION = hold_overlap hold_vs_sweep confirm_vs_expiry cancel_vs_confirm cancel_vs_cancel uncommitted_hold queue_races wallet_races card_races hold_key_races
ISOLATION_OPTS = --inputdir=. --outputdir=build/isolation --load-extension=pgcrypto --load-extension=boxoffice
# The isolation tester has no include. Each spec is assembled into
# build/isolation/specs/: a first setup block of the shared fixtures, then the
# spec's own file. pg_isolation_regress reads a spec from --outputdir when it is
# there (before --inputdir), and its expected output still from ./expected/.
ISOLATION_FIXTURES = test/fixtures/seats.sql test/fixtures/isolation.sql
REGRESS_PREP = $(ISOLATION:%=build/isolation/specs/%.spec)

PG_CPPFLAGS = -Iextension/src -Ibuild/generated -DBOXOFFICE_VERSION='"$(EXTVERSION)"'
# Our code warns about nothing; PostgreSQL's headers are system headers here
# (-isystem), so their own warnings in C++ do not drown ours.
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-register -fno-omit-frame-pointer -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK  = -lstdc++
# No LLVM bitcode: the JIT gains nothing from inlining these functions.
override with_llvm = no

EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The error catalogue's C++ constants, generated from extension/sql/errors.sql.
build/generated/sqlstates.hpp: extension/sql/errors.sql scripts/error-codes.pl
	@mkdir -p build/generated
	perl scripts/error-codes.pl extension-header $< > $@.tmp && mv $@.tmp $@
$(OBJS): build/generated/sqlstates.hpp
# PGXS tracks no header dependencies here: a changed header rebuilds every object.
$(OBJS): $(wildcard extension/src/*.hpp)

# The README's error tables, rewritten from the catalogue (a test checks them).
.PHONY: readme-tables
readme-tables:
	perl scripts/error-codes.pl readme extension/sql/errors.sql README.md

# While a version is under way, its frozen copy (versions/) is the built
# install script, and its upgrade script takes the new parts of extension/sql/
# as they are (scripts/upgrade-parts.pl). Never run it for a released version.
.PHONY: upgrade-parts
upgrade-parts: build/$(EXT_NAME)--$(EXTVERSION).sql
	cp build/$(EXT_NAME)--$(EXTVERSION).sql extension/versions/
	perl scripts/upgrade-parts.pl extension/versions/$(EXT_NAME)--$(PREVIOUS_VERSION)--$(EXTVERSION).sql

build/$(EXT_NAME)--$(EXTVERSION).sql: $(SQL_PARTS)
	@mkdir -p build
	{ printf '%s\n' '\echo Use "CREATE EXTENSION $(EXT_NAME)" to load this file. \quit'; cat $(SQL_PARTS); } > $@

build/isolation/specs/%.spec: specs/%.spec $(ISOLATION_FIXTURES)
	@mkdir -p $(@D)
	{ printf '# generated from $(ISOLATION_FIXTURES) and $<\nsetup\n{\n'; cat $(ISOLATION_FIXTURES); printf '}\n\n'; cat $<; } > $@

.PHONY: run test bench deps stop
deps:
	bash scripts/install-deps.sh
run: deps
	bash scripts/run.sh
stop:
	bash scripts/run.sh stop
test: deps
	bash scripts/test.sh
bench: deps
	bash bench/run.sh
	bash bench/queue/run.sh
	bash bench/payments/run.sh
	bash bench/payments/http.sh
	bash bench/payments/locks.sh
	bash bench/http/run.sh
	bash bench/http/storm.sh
	bash bench/http/connections.sh
	bash bench/quiet-logs.sh
