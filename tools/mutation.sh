#!/usr/bin/env bash
# Mutation testing with Stryker.NET, opt-in and slow (tens of minutes per area on 2 cores; not part of
# .ci/run): does the test suite notice when the code of one area changes? Each area has its config in
# tools/mutation/<area>.json: which files are mutated, which tests run (each area against its own
# tests; slow property, boundary and reference-collector tests are left out where the config says),
# the thresholds. Debug.Assert calls are not mutated: the Release build that is tested compiles them out.
#
#   tools/mutation.sh <area>|all [more dotnet-stryker options]     e.g. tools/mutation.sh delivery
#   STRYKER_CONCURRENCY  test runners at once (default: the config's; the machine may be shared)
#
# Reports go to out/mutation/<area>/ (HTML and JSON); the per-file scores are printed at the end.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
areas="$(cd "$root/tools/mutation" && ls -- *.json | sed 's/\.json$//' | tr '\n' ' ')"
area="${1:-}"
if [[ "$area" == all ]]; then
    selected=($areas)
elif [[ -n "$area" && -f "$root/tools/mutation/$area.json" ]]; then
    selected=("$area")
else
    echo "usage: tools/mutation.sh <area>|all [dotnet-stryker options]; areas: $areas" >&2
    exit 2
fi
shift

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v dotnet-stryker >/dev/null; then
    dotnet tool install --global dotnet-stryker --version 5.1.0
fi

concurrency=()
[[ -n "${STRYKER_CONCURRENCY:-}" ]] && concurrency=(--concurrency "$STRYKER_CONCURRENCY")
cd "$root/tests/Sluice.Tests"
for a in "${selected[@]}"; do
    dotnet-stryker --config-file "$root/tools/mutation/$a.json" --output "$root/out/mutation/$a" \
        --skip-version-check "${concurrency[@]}" "$@"
done
