#!/usr/bin/env bash
# Mutation testing of the batching and serialization code with Stryker.NET: do the tests notice when
# the code is changed? Opt-in (it takes a long while; not part of .ci/run).
#   tools/mutation.sh [batching|serialization|all]   (default: all)
#   STRYKER_CONCURRENCY  test runners at once (default 1: the machine is shared)
# Reports go to out/mutation/<area>/ (HTML and JSON); the per-file scores are printed at the end.
# Tests run: Batching, Serialization and the batch settlement tests, except the property test at the
# real 2 MB limits (a minute per run; the same rules are checked at scaled-down limits).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

area=${1:-all}
case "$area" in
  batching) mutate=(--mutate "**/Batching/**/*.cs") ;;
  serialization) mutate=(--mutate "**/Serialization/**/*.cs") ;;
  all) mutate=(--mutate "**/Batching/**/*.cs" --mutate "**/Serialization/**/*.cs") ;;
  *) echo "usage: $0 [batching|serialization|all]" >&2; exit 2 ;;
esac

if ! dotnet stryker --version >/dev/null 2>&1; then
  dotnet tool install -g dotnet-stryker --version 5.1.0
  export PATH="$PATH:$HOME/.dotnet/tools"
fi

out="$PWD/out/mutation/$area"
mkdir -p "$out"
cd tests/Sluice.Tests
dotnet stryker --config-file ../../tools/stryker-config.json "${mutate[@]}" \
  --concurrency "${STRYKER_CONCURRENCY:-1}" --output "$out"
