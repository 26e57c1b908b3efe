#!/usr/bin/env bash
# CI stage (called by .ci/run after the tests): the quick benchmark run. Prints the ratio table and
# exits non-zero if a ratio falls below its deliberately loose floor (about half the target in docs/performance.md)
# or a benchmark failed. Takes about 2-3 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== bench: build"
dotnet build bench/Sluice.Benchmarks -c Release -warnaserror -v quiet -nologo || exit 1

echo "== bench: quick run (ratios checked against the CI floors)"
mkdir -p out
dotnet bench/Sluice.Benchmarks/bin/Release/net10.0/Sluice.Benchmarks.dll --quick --check --results out/bench \
  > out/bench.log 2>&1
status=$?
# The run's own summary: the ratio table, then any floor failures.
sed -n '/^Sluice performance ratios/,$p' out/bench.log
if [ "$status" -ne 0 ]; then
  echo "bench: failed (exit $status); the last lines of out/bench.log:"
  tail -n 40 out/bench.log
fi
exit "$status"
