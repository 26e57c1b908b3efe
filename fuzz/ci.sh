#!/usr/bin/env bash
# CI fuzzing stage (called by .ci/run after the tests): builds the fuzzer once, runs every target
# for a fixed budget with a fresh seed each run (printed, so any run can be repeated), and exits
# non-zero if any target found a failing input; the input's path, its base64 and the seed are printed.
#   FUZZ_SECONDS  budget per target (default 20)
#   FUZZ_SEED     first seed (default: random); target i uses FUZZ_SEED + i
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

seconds=${FUZZ_SECONDS:-20}
base_seed=${FUZZ_SEED:-$(( (RANDOM << 15 | RANDOM) % 1000000000 ))}
dll=fuzz/Sluice.Fuzz/bin/Release/net10.0/Sluice.Fuzz.dll

dotnet build fuzz/Sluice.Fuzz/Sluice.Fuzz.csproj -c Release -warnaserror -v quiet -nologo || exit 1

status=0
i=0
total=0
for target in $(dotnet "$dll" --list); do
  seed=$(( base_seed + i ))
  i=$(( i + 1 ))
  echo "== fuzz $target: ${seconds}s, seed $seed"
  # The driver's watchdog reports a hanging input itself; this bound only guards the guard.
  timeout $(( seconds + 180 )) dotnet "$dll" --target "$target" --seconds "$seconds" --seed "$seed" | tee out/fuzz-"$target".log
  rc=${PIPESTATUS[0]}
  runs=$(grep -Eo '^done #[0-9]+' out/fuzz-"$target".log | tr -dc '0-9')
  total=$(( total + ${runs:-0} ))
  if [ "$rc" -ne 0 ]; then
    echo "fuzz $target FAILED (exit $rc, seed $seed): the input is under fuzz/crashes/$target/ (see above);"
    echo "  rerun: dotnet run -c Release --project fuzz/Sluice.Fuzz -- --target $target --seconds $seconds --seed $seed"
    status=1
  fi
done

echo "fuzz: $total executions over $i targets, first seed $base_seed"
exit $status
