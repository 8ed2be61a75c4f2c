# The everyday commands. `just --list` shows them.

pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Build everything.
build:
    cargo build --workspace

# Run the service on the embedded SQLite default.
run *ARGS:
    cargo run --release -- {{ARGS}}

# Run every test (PostgreSQL tests run when TEST_DATABASE_URL is set).
test:
    cargo test --workspace

# Run every test, requiring PostgreSQL (`docker compose up -d db` gives one on a free port:
# TEST_DATABASE_URL=postgres://postgres:postgres@$(docker compose port db 5432)/postgres).
test-pg:
    TEST_DATABASE_URL={{pg_url}} REQUIRE_POSTGRES=1 cargo test --workspace

# Formatting, clippy and the architecture checks, as CI runs them.
lint: check-architecture
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# The architecture invariants a script can check: crate layering and no SQL outside
# persistence, no module cycles in any crate, no test that sleeps to wait (each checker's own
# self-test first, so a checker that cannot fail fails).
check-architecture:
    scripts/check-layering.sh
    python3 scripts/check-module-cycles.py --self-test
    python3 scripts/check-module-cycles.py
    python3 scripts/check-test-sleeps.py --self-test
    python3 scripts/check-test-sleeps.py

# Check the Prometheus alert rules (syntax and unit tests) and the Grafana dashboard's queries
# with promtool (installed from Debian's prometheus package when missing).
check-alerts:
    bash .ci/alerts.sh

# Build the image, run it as a user would (health, readiness, logs, stop, data volume) and
# remove it; pulls missing base images (`.ci/run` skips this unless they are there already).
container-test:
    CONTAINER_TEST_PULL=1 REQUIRE_CONTAINER=1 bash .ci/container.sh

# The whole CI run.
ci:
    bash .ci/run

# Benchmarks (each issue that sets a target adds its bench here).
bench: bench-import bench-api bench-dashboard bench-soak bench-images bench-scale

# The import benchmark: first import, re-import, peak RSS and the COPY reference on PostgreSQL
# and SQLite (`BENCH_QUICK=1` for a smoke run); figures also in target/bench-import.json.
bench-import *ARGS:
    TEST_DATABASE_URL={{pg_url}} cargo bench -p propimport --bench import -- {{ARGS}}

# Dashboard first load with 1,000 executions: bytes transferred, time to first render.
bench-dashboard:
    bash .ci/browser.sh
    cargo bench -p propimport --bench dashboard

# The admin API under load: 1,000,000 executions over 2 years for 20 jobs in PostgreSQL, wrk with
# 2 connections per core against the release binary; figures also in target/bench-api.json.
bench-api *ARGS:
    command -v wrk >/dev/null || apt-get install -y -qq wrk
    TEST_DATABASE_URL={{pg_url}} cargo bench -p propimport --bench api -- {{ARGS}}

# Repeated bursts: 1,000 sources (3-listing file feeds) on one every-30-seconds schedule against
# the release binary on PostgreSQL; RSS after each burst and "flat within 10 % once warm"
# (`--strict` exits non-zero on a miss, `--quick` for a smoke run); also in target/bench-soak.json.
bench-soak *ARGS:
    TEST_DATABASE_URL={{pg_url}} cargo bench -p propimport --bench soak -- {{ARGS}}

# Image downloads from local hosts answering each image after 100 ms (200 listings × 10 images;
# one host, then two with one slow): seconds against the bound IMAGE_CONCURRENCY and
# IMAGE_CONCURRENCY_PER_HOST allow, ≥ 90 % (`--strict` exits non-zero on a miss, `--quick` for
# a smoke run); also in target/bench-images.json.
bench-images *ARGS:
    cargo bench -p propimport --bench images -- {{ARGS}}

# The scale benchmark: 1,000 sources over HTTP every minute, two replicas on PostgreSQL with
# IMPORT_MAX_CONCURRENT_RUNS=16, five minutes: ticks run once, the limit, lateness, /status,
# the dashboard, memory and connections (`--quick` for a smoke run, `--strict` to fail on a
# miss); also in target/bench-scale.json.
bench-scale *ARGS:
    TEST_DATABASE_URL={{pg_url}} cargo bench -p propimport --bench scale -- {{ARGS}}

