#!/usr/bin/env bash
# Mutation testing with Stryker.NET, opt-in and slow (tens of minutes): does the test suite notice when
# the code of one area changes? Each area has its config in tools/mutation/<area>.json (which files
# are mutated, which tests run, the score below which the run fails).
#
#   tools/mutation.sh <area> [more dotnet-stryker options]     e.g. tools/mutation.sh delivery
#
# Reports go to artifacts/mutation/<area>/ (HTML and JSON). The machine is shared: the configs run
# two mutants at a time (--concurrency overrides).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
areas="$(cd "$root/tools/mutation" && ls -- *.json | sed 's/\.json$//' | tr '\n' ' ')"
area="${1:-}"
if [[ -z "$area" || ! -f "$root/tools/mutation/$area.json" ]]; then
    echo "usage: tools/mutation.sh <area> [dotnet-stryker options]; areas: $areas" >&2
    exit 2
fi
shift

export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v dotnet-stryker >/dev/null; then
    dotnet tool install --global dotnet-stryker --version 5.1.0
fi

cd "$root/tests/Sluice.Tests"
dotnet-stryker --config-file "$root/tools/mutation/$area.json" --output "$root/artifacts/mutation/$area" --skip-version-check "$@"
