#!/usr/bin/env bash
# Declares the current public surface of every shipped library in its PublicAPI.Unshipped.txt
# (PublicApiAnalyzers' own code fix, applied by `dotnet format`). Run it after a deliberate change to
# the public API and review the diff of the .txt files: that diff is the API change.
# When a version ships, move the Unshipped lines into PublicAPI.Shipped.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
for project in src/Sluice/Sluice.csproj src/Sluice.Extensions.Hosting/Sluice.Extensions.Hosting.csproj; do
  [ -f "$project" ] || continue
  dir=$(dirname "$project")
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
  # Start from the shipped surface alone, so removed symbols disappear too (RS0017 has no batch fix).
  printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
  dotnet format analyzers "$project" --diagnostics RS0016 RS0037 --severity info -v q
  echo "$dir: $(grep -vc '^#' "$dir/PublicAPI.Unshipped.txt") unshipped symbols"
done
