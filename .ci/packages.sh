#!/usr/bin/env bash
# CI stage (called by .ci/run after the tests): packs every packable project into a local folder feed
# (out/packages) with warnings as errors, checks that each package carries its license and README,
# installs the tool package and runs it, then restores, builds and runs .ci/consumer, an application
# that takes Sluice and Sluice.Extensions.Hosting by PackageReference from that feed. Exits non-zero on any failure.
# Uses the build .ci/run has just made (same VersionSuffix); alone, run `dotnet build Engine.sln -c Release` first.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export VersionSuffix="${VersionSuffix-ci.$(git rev-list --count HEAD 2>/dev/null || echo 0)}"

feed=out/packages
rm -rf "$feed" out/consumer/tools out/consumer/tool-batches
mkdir -p "$feed" out/consumer

echo "== packages: pack (warnings are errors)"
dotnet pack Engine.sln -c Release --no-build -warnaserror -o "$feed" -v quiet -nologo || exit 1
version=$(dotnet msbuild src/Sluice/Sluice.csproj -getProperty:PackageVersion -p:Configuration=Release)
for id in Sluice Sluice.Extensions.Hosting; do
  [ -f "$feed/$id.$version.nupkg" ] || { echo "packages: no $id.$version.nupkg in $feed"; exit 1; }
done

status=0
for package in "$feed"/*.nupkg "$feed"/*.snupkg; do
  [ -f "$package" ] || continue
  echo "-- $(basename "$package"): $(stat -c %s "$package") bytes"
  unzip -l "$package" | sed -n '4,$p' | grep -v -E '^-+|_rels/|\[Content_Types\]|package/services/' | awk 'NF >= 4 {printf "   %9s  %s\n", $1, $4}'
  case "$package" in
    *.snupkg) continue ;;
  esac
  for required in LICENSE README.md; do
    unzip -l "$package" "$required" > /dev/null 2>&1 || { echo "packages: $(basename "$package") has no $required"; status=1; }
  done
done
[ "$status" -eq 0 ] || exit 1

echo "== packages: the sluice tool from its package"
tools=out/consumer/tools
dotnet tool install Sluice.Cli --version "$version" --tool-path "$tools" --add-source "$feed" > /dev/null || exit 1
printf '%s\n' \
  '{"user_id":"u-1","event_name":"signed_up","properties":{"plan":"pro"}}' \
  '{"session_id":"s-1","properties":{"page_name":"Home"}}' > out/consumer/events.ndjson
report=$("$tools/sluice" send --input out/consumer/events.ndjson --out out/consumer/tool-batches) ||
  { echo "$report"; echo "packages: the installed tool's send failed"; exit 1; }
echo "$report" | head -n 1

echo "== packages: a consumer application restores Sluice $version from the feed, builds and runs"
# Its own packages folder, emptied of Sluice's: a re-packed version must never come from a cache.
rm -rf out/consumer/nuget-packages/sluice*
dotnet restore .ci/consumer/Consumer.csproj -p:SluiceVersion="$version" --packages out/consumer/nuget-packages -v quiet || exit 1
dotnet run --project .ci/consumer/Consumer.csproj -c Release --no-restore -p:SluiceVersion="$version" -- "$version"
