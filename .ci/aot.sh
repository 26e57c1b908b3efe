#!/usr/bin/env bash
# CI stage (called by .ci/run after the tests): publishes the CLI with Native AOT for this machine,
# failing on any trim or AOT warning (IL2xxx/IL3xxx), then runs the native binary: `demo` with 100,000
# events and a small `send` of NDJSON lines to batch files, checking what each wrote.
# Installs the native toolchain (clang, zlib) with apt only if the machine lacks it.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) echo "aot: no RID for $(uname -m)"; exit 1 ;;
esac
out=out/aot
rm -rf "$out"
mkdir -p "$out"

# The AOT compiler links with clang (or, failing that, gcc) and needs zlib's headers.
if ! { command -v clang > /dev/null || command -v gcc > /dev/null; } || [ ! -f /usr/include/zlib.h ]; then
  echo "== aot: installing the native toolchain (clang, zlib1g-dev)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang zlib1g-dev > /dev/null; } ||
    { echo "aot: could not install clang and zlib1g-dev"; exit 1; }
fi

echo "== aot: dotnet publish src/Sluice.Cli -c Release -r $rid (Native AOT, warnings are errors)"
start=$SECONDS
dotnet publish src/Sluice.Cli -c Release -r "$rid" -o "$out/bin" -warnaserror -nologo > "$out/publish.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || grep -q -E '\bIL[23][0-9]{3}\b' "$out/publish.log"; then
  grep -E 'error|warning|\bIL[23][0-9]{3}\b' "$out/publish.log" | sort -u | head -n 40
  echo "aot: publish failed (exit $rc) or reported a trim/AOT warning; the log is $out/publish.log"
  exit 1
fi
binary="$out/bin/sluice"
echo "aot: $binary, $(stat -c %s "$binary") bytes, published in $(( SECONDS - start )) s"

echo "== aot: sluice demo --events 100000"
"$binary" demo --events 100000 > "$out/demo.log" 2>&1
rc=$?
cat "$out/demo.log"
[ "$rc" -eq 0 ] || { echo "aot: demo failed (exit $rc)"; exit 1; }

echo "== aot: sluice send --input events.ndjson --out DIR"
printf '%s\n' \
  '{"user_id":"u-1","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.059Z","properties":{"plan":"pro","seats":5}}' \
  '{"user_id":"u-2","event_name":"feature_used","properties":{"feature":"export_csv","ratio":0.5,"trial":true}}' \
  '{"user_id":"u-1","event_name":"feature_used","properties":{"tags":["a","b"],"nested":{"k":null}},"context":{"group_id":"g-42"}}' \
  '{"session_id":"s-1","properties":{"page_name":"Home","page_url":"https://example.com/"}}' \
  '{"user_id":"u-2","name":"Pricing","properties":{"page_url":"https://example.com/pricing"}}' > "$out/events.ndjson"
"$binary" send --input "$out/events.ndjson" --out "$out/batches"
rc=$?
[ "$rc" -eq 0 ] || { echo "aot: send failed (exit $rc)"; exit 1; }
# Every event the batch files hold carries one timestamp (the input names no property "timestamp").
events=$(cat "$out"/batches/*.json | grep -o '"timestamp":' | wc -l)
[ "$events" -eq 5 ] || { echo "aot: the batch files hold $events events, expected 5"; exit 1; }
echo "aot: the native binary sent 5 events into $(ls "$out"/batches/*.json | wc -l) batch files"
