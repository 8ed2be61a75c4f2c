#!/usr/bin/env bash
# Fails when the crate layering is broken:
# - propimport-domain must not depend (normally) on a database driver, web framework, HTTP
#   client or async runtime;
# - persistence, importer, scheduler and http-api depend on domain only, never on each other;
#   cross-crate tests live in the app crate. One dev-dependency is allowed, importer →
#   persistence, for the importer's example that imports a file into SQLite (persistence
#   never depends on the importer, so the layering stays one-way).
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

[ "$status" -eq 0 ] && echo "layering: ok"
exit "$status"
