#!/bin/sh
# Gives every workspace crate placeholder sources for its targets (a library, the binary, the
# benches, examples and tests its manifest names), so that the image's dependency layer can
# build every dependency from the manifests and Cargo.lock alone: a change of the real sources
# then rebuilds only the workspace's own crates.
set -eu
for manifest in crates/*/Cargo.toml; do
  dir=$(dirname "$manifest")
  mkdir -p "$dir/src"
  if grep -q '^\[\[bin\]\]' "$manifest"; then
    echo 'fn main() {}' >"$dir/src/main.rs"
  else
    : >"$dir/src/lib.rs"
  fi
  # Explicit [[bench]], [[example]] and [[test]] targets must exist for cargo to load the
  # manifest: benches/<name>.rs and so on.
  awk '
    /^\[\[bench\]\]/   { kind = "benches"; next }
    /^\[\[example\]\]/ { kind = "examples"; next }
    /^\[\[test\]\]/    { kind = "tests"; next }
    /^\[/              { kind = ""; next }
    kind != "" && /^name *= *"/ { split($0, q, "\""); print kind "/" q[2] ".rs"; kind = "" }
  ' "$manifest" | while read -r target; do
    mkdir -p "$dir/$(dirname "$target")"
    echo 'fn main() {}' >"$dir/$target"
  done
done
