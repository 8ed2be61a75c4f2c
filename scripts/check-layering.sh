#!/usr/bin/env bash
# Fails when the crate layering is broken:
# - propimport-domain must not depend (normally) on a database driver, web framework, HTTP
#   client or async runtime;
# - persistence, importer, scheduler and http-api depend on domain only, never on each other;
#   cross-crate tests live in the app crate. One dev-dependency is allowed, importer →
#   persistence, for the importer's example that imports a file into SQLite (persistence
#   never depends on the importer, so the layering stays one-way).
# - no SQL outside persistence: no other crate depends on a database driver, and no other
#   crate's Rust code holds an SQL statement. The benchmarks (crates/app/benches) are the one
#   exception: they seed and measure PostgreSQL directly through tokio-postgres, a
#   dev-dependency of the app crate used by nothing else.
# Sibling checks (ARCHITECTURE.md, Invariants checked by a script): scripts/check-module-cycles.py
# (no module cycles in any crate) and scripts/check-test-sleeps.py (no test sleeps to wait).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
forbidden='^(diesel|diesel-async|actix-web|actix-rt|reqwest|tokio|hyper|sqlx) v'
if bad=$(cargo tree -q -p propimport-domain -e normal --prefix none | grep -E "$forbidden" | sort -u) && [ -n "$bad" ]; then
  echo "layering: propimport-domain must not depend on:" >&2
  echo "$bad" >&2
  status=1
fi

middle=(persistence importer scheduler http-api)
for crate in "${middle[@]}"; do
  for sibling in "${middle[@]}" app; do
    [ "$crate" = "$sibling" ] && continue
    edges=normal,build,dev
    [ "$crate" = importer ] && [ "$sibling" = persistence ] && edges=normal,build
    name="propimport-$sibling"
    [ "$sibling" = app ] && name="propimport"
    if cargo tree -q -p "propimport-$crate" -e "$edges" --depth 1 --prefix none \
        | grep -qE "^$name v"; then
      echo "layering: propimport-$crate must not depend on $name" >&2
      status=1
    fi
  done
done

drivers='^(diesel|diesel-async|diesel_migrations|sqlx|rusqlite|libsqlite3-sys|tokio-postgres|postgres) v'
for crate in domain importer scheduler http-api app; do
  name="propimport-$crate"
  edges=normal,build,dev
  # The app's dev-dependency on tokio-postgres is the benchmarks' (checked below: only there).
  [ "$crate" = app ] && name=propimport && edges=normal,build
  if bad=$(cargo tree -q -p "$name" -e "$edges" --depth 1 --prefix none | grep -E "$drivers" | sort -u) \
      && [ -n "$bad" ]; then
    echo "layering: $name must not depend on a database driver (SQL lives in persistence):" >&2
    echo "$bad" >&2
    status=1
  fi
done
if bad=$(grep -rlE 'tokio_postgres' crates --include='*.rs' | grep -v '^crates/app/benches/'); then
  echo "layering: tokio-postgres is for the app's benchmarks only, not:" >&2
  echo "$bad" >&2
  status=1
fi
sql='"[[:space:]]*(SELECT|INSERT INTO|UPDATE [A-Za-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX|DATABASE)|ALTER TABLE|DROP (TABLE|DATABASE)|TRUNCATE)[[:space:]]'
if bad=$(grep -rnE "$sql" crates --include='*.rs' | grep -vE '^crates/(persistence|app/benches)/'); then
  echo "layering: SQL outside crates/persistence:" >&2
  echo "$bad" >&2
  status=1
fi

[ "$status" -eq 0 ] && echo "layering: ok"
exit "$status"
