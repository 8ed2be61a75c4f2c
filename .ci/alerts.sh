#!/usr/bin/env bash
# Checks the shipped Prometheus alert rules and Grafana dashboard with promtool (Debian's
# `prometheus` package, installed when missing): the rules' syntax, their unit tests, and every
# query of the dashboard (as recording rules, with Grafana's variables filled in).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "installing promtool from Debian's prometheus package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version | head -n 1

promtool check rules deploy/prometheus/propimport-rules.yml
(cd deploy/prometheus && promtool test rules propimport-rules.test.yml)

# The dashboard's queries, each a recording rule of a throw-away file.
queries="$(mktemp --suffix=.yml)"
trap 'rm -f "$queries"' EXIT
{
  echo "groups:"
  echo "  - name: dashboard"
  echo "    rules:"
  grep -o '"expr": "[^"\\]*\(\\.[^"\\]*\)*"' deploy/grafana/propimport-dashboard.json \
    | sed -e 's/^"expr": //' \
          -e 's/\$__rate_interval/5m/g' -e 's/\$job_name/.*/g' \
    | awk '{ printf "      - record: dashboard:query%d\n        expr: %s\n", NR, $0 }'
} >"$queries"
count=$(grep -c 'record:' "$queries")
[ "$count" -gt 0 ] || { echo "no queries found in the dashboard" >&2; exit 1; }
promtool check rules "$queries" >/dev/null
echo "dashboard: $count queries parse"
