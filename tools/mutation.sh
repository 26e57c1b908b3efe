#!/usr/bin/env bash
# Mutation testing of the batching and serialization code with Stryker.NET: do the tests notice when
# the code is changed? Opt-in (tens of minutes per area on 2 cores; not part of .ci/run).
#   tools/mutation.sh [batching|serialization|all] [more Stryker options]   (default: all)
#   STRYKER_CONCURRENCY  test runners at once (default 1: the machine is shared)
# Reports go to out/mutation/<area>/ (HTML and JSON); the per-file scores are printed at the end.
#
# Each area is mutated against its own tests (tools/stryker/<area>.json): Batching against
# tests/Sluice.Tests/Batching and the settlement tests, Serialization against
# tests/Sluice.Tests/Serialization. Left out because each run would take seconds to a minute, for
# every mutant: the batching rules' property tests and the boundary tests at the real 2 MB limit
# (BatchAssemblerTests check the same rules at their exact edges), the tests against the reference
# collector (a Kestrel server per run); and the allocation tests, which fail under Stryker's
# instrumentation whatever the mutant. Debug.Assert calls are not mutated: the Release build that is
# tested compiles them out, so every such mutant would survive.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

area=${1:-all}
case "$area" in
  batching|serialization) areas=("$area") ;;
  all) areas=(batching serialization) ;;
  *) echo "usage: $0 [batching|serialization|all] [Stryker options]" >&2; exit 2 ;;
esac

if ! dotnet stryker --version >/dev/null 2>&1; then
  dotnet tool install -g dotnet-stryker --version 5.1.0
  export PATH="$PATH:$HOME/.dotnet/tools"
fi

root=$PWD
for a in "${areas[@]}"; do
  out="$root/out/mutation/$a"
  mkdir -p "$out"
  (cd tests/Sluice.Tests && dotnet stryker --config-file "$root/tools/stryker/$a.json" \
    --concurrency "${STRYKER_CONCURRENCY:-1}" --output "$out" "${@:2}")
done
