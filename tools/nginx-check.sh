#!/usr/bin/env bash
# Opt-in, not part of .ci/run: `sluice send` through a real nginx in front of the reference collector,
# on loopback, in one to three minutes. nginx is the proxy most servers sit behind, and it answers in ways the
# collector only imitates: its own 413 page over client_max_body_size (1m here, half the batch limit),
# and 502 while the collector is down, 504 when it is slower than proxy_read_timeout (1 s on a second
# port). Checks, from the CLI's --json summary and what the collector received:
#   1. bodies over nginx's limit: the batch limit is lowered, batches split, every event delivered once;
#   2. the collector down for a few seconds: 502s are retried, every event delivered once;
#   3. the collector slow (its answers held 3 s after it kept the events): 504s are retried, every event
#      arrives, the summary counts every one delivered;
#   4. SIGTERM during an outage (502s) with --spool: nothing lost, the events stay in the spool; a second
#      run with the line to resume after sends them, each once;
#   5. SIGTERM while every answer is a 504: nothing is counted lost (the collector has every event), each
#      event delivered or of unknown outcome;
#   6. SIGTERM during an outage without a spool: nothing delivered, every event of unknown outcome (502s: nginx
#      cannot say whether the collector took a request) or lost, and a second run from the line to resume
#      after sends each once;
#   7. an outage longer than the retry budget with --spool, in one run reading a pipe: the batch that ran out of
#      retries (502s) stays in the spool and is sent again once the collector is back, in the same run, once;
#   8. nginx's rate limit (limit_req, one request a second, 429 with Retry-After: 1 on a third port): every event
#      delivered once, and no request arrives while a Retry-After is running: the wait holds every batch to the
#      endpoint, not only the one refused.
# Needs nginx (Debian: apt-get install nginx-light) and python3 (to read the JSON).
#   tools/nginx-check.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
command -v nginx >/dev/null || { echo "nginx-check: nginx is not installed (apt-get install nginx-light)" >&2; exit 2; }
work="$(mktemp -d)"
chmod 755 "$work" # nginx's workers (another user when started as root) write request bodies under it
collector_port=18281
nginx_port=18280
slow_port=18282 # the same proxy with a 1 s proxy_read_timeout
limited_port=18283 # the same proxy, rate limited: 429 with Retry-After: 1
collector_pid=""

cleanup() {
    [[ -f "$work/nginx.pid" ]] && nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true
    [[ -n "$collector_pid" ]] && kill "$collector_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release -v q --nologo "$root/tests/Sluice.Collector" >/dev/null
dotnet build -c Release -v q --nologo "$root/src/Sluice.Cli" >/dev/null
sluice=(dotnet "$root/src/Sluice.Cli/bin/Release/net10.0/sluice.dll")

start_collector() {
    dotnet "$root/tests/Sluice.Collector/bin/Release/net10.0/Sluice.Collector.dll" --port "$collector_port" --token T >"$work/collector.log" 2>&1 &
    collector_pid=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$collector_port/_collector" >/dev/null && return 0
        sleep 0.1
    done
    echo "nginx-check: the collector did not start" >&2
    exit 1
}

stop_collector() {
    kill "$collector_pid"
    wait "$collector_pid" 2>/dev/null || true
    collector_pid=""
}

mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log $work/logs/access.log;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  client_max_body_size 1m;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://127.0.0.1:$collector_port; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  limit_req_zone \$server_port zone=api:1m rate=1r/s;
  log_format timed '\$msec \$request_time \$status';
  server {
    listen 127.0.0.1:$limited_port;
    access_log $work/logs/limited.log timed;
    limit_req zone=api;
    limit_req_status 429;
    add_header Retry-After 1 always;
    location / { proxy_pass http://127.0.0.1:$collector_port; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:$slow_port;
    proxy_read_timeout 1s;
    location / { proxy_pass http://127.0.0.1:$collector_port; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
nginx -p "$work" -c "$work/nginx.conf"

# 3,000 events of about 5 KB (a 2 MB batch holds ~400: twice nginx's limit), then 500 small ones.
awk 'BEGIN {
    blob = sprintf("%5000s", ""); gsub(/ /, "x", blob)
    for (i = 0; i < 3000; i++) printf "{\"type\":\"track\",\"user_id\":\"u%d\",\"event_name\":\"big\",\"properties\":{\"blob\":\"%s\",\"i\":%d}}\n", i % 50, blob, i
    for (i = 0; i < 500; i++) printf "{\"type\":\"track\",\"user_id\":\"u%d\",\"event_name\":\"small\",\"properties\":{\"i\":%d}}\n", i % 50, i
}' >"$work/events.ndjson"
expected=3500
# 2,000 small events (two full batches), each with its number.
awk 'BEGIN { for (i = 0; i < 2000; i++) printf "{\"type\":\"track\",\"user_id\":\"u%d\",\"event_name\":\"small\",\"properties\":{\"n\":%d}}\n", i % 50, i }' >"$work/small.ndjson"

# Prints "delivered failed" from a --json summary.
summary() { python3 -c 'import json,sys; e=json.load(sys.stdin)["events"]; print(e["delivered"], e["failed"] + e["expired"] + e["lost_at_shutdown"] + e["outcome_unknown"] + e["rejected_by_server"])'; }
received() { curl -sf "http://127.0.0.1:$collector_port/_collector/received" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(sum(a["events"] for a in r.values()), sum(a["duplicates"] for a in r.values()))'; }
statuses() { awk '{print $9}' "$work/logs/access.log" | sort | uniq -c | tr '\n' ' '; }
failures=0
check() { # name, delivered+failed, received+duplicates, status code that must appear
    local name="$1" counts="$2" got="$3" status="$4"
    if [[ "$counts" == "$expected 0" && "$got" == "$expected 0" ]] && grep -q " $status " "$work/logs/access.log"; then
        echo "ok: $name (delivered/not: $counts; the collector received/duplicates: $got; nginx: $(statuses))"
    else
        echo "FAILED: $name (delivered/not: $counts, expected $expected 0; received/duplicates: $got; nginx: $(statuses); no $status?)" >&2
        failures=$((failures + 1))
    fi
}

start_collector
counts="$("${sluice[@]}" send -i "$work/events.ndjson" -e "http://127.0.0.1:$nginx_port" --token T --retry-budget 30s --json -q | summary)"
check "bodies over nginx's client_max_body_size are split" "$counts" "$(received)" 413

stop_collector
: >"$work/logs/access.log"
nginx -p "$work" -c "$work/nginx.conf" -s reopen 2>/dev/null
"${sluice[@]}" send -i "$work/events.ndjson" -e "http://127.0.0.1:$nginx_port" --token T --retry-budget 30s --json -q >"$work/outage.json" &
send_pid=$!
sleep 3
start_collector
wait "$send_pid"
check "the collector down behind nginx for 3 s (502s) is retried" "$(summary <"$work/outage.json")" "$(received)" 502

collector() { curl -sf -X "$1" "http://127.0.0.1:$collector_port/_collector/$2" >/dev/null; }
new_log() { : >"$work/logs/access.log"; nginx -p "$work" -c "$work/nginx.conf" -s reopen 2>/dev/null; }
# Judges the small file's run(s) against what the collector kept: judge NAME RULE SUMMARY.json... where RULE is
# a Python expression over s (the last summary's events), runs (every summary's events), full (every summary), sent (events the collector kept,
# redeliveries included), distinct (how many of the 2,000 it has) and saw504 (nginx answered 504).
# During an outage (the collector stopped: nginx answers 502), a send is stopped by SIGTERM after 2 s; the collector comes
# back and a second send resumes after the line the first reported. $1: the runs' name ($1 1.json, $1 2.json); the rest:
# the first run's options (the second keeps a --spool given there).
outage_then_resume() {
    local name="$1"; shift
    local spool=()
    [[ "${1:-}" == --spool ]] && spool=("$1" "$2")
    stop_collector
    new_log
    "${sluice[@]}" send -i "$work/small.ndjson" -e "http://127.0.0.1:$nginx_port" --token T "$@" --json -q >"$work/${name}1.json" 2>"$work/${name}1.log" &
    local send_pid=$!
    sleep 2
    kill -TERM "$send_pid"
    wait "$send_pid" || true
    start_collector
    local skip
    skip="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resume"]["skip_lines"])' "$work/${name}1.json")"
    "${sluice[@]}" send -i "$work/small.ndjson" -e "http://127.0.0.1:$nginx_port" --token T "${spool[@]}" --skip-lines "$skip" --json -q >"$work/${name}2.json" 2>"$work/${name}2.log"
}

judge() {
    local name="$1" rule="$2"; shift 2
    curl -sf "http://127.0.0.1:$collector_port/_collector/received/track?take=1000000" >"$work/kept.json"
    if KEPT="$work/kept.json" SAW504="$(grep -c ' 504 ' "$work/logs/access.log" || true)" python3 - "$rule" "$@" <<'PY'
import json, os, sys
rule, files = sys.argv[1], sys.argv[2:]
full = [json.load(open(f)) for f in files]
runs = [f["events"] for f in full]
s = runs[-1]
events = json.load(open(os.environ["KEPT"]))
sent = len(events)
distinct = len({e["properties"]["n"] for e in events})
saw504 = int(os.environ["SAW504"]) > 0
print(f"  summaries: " + "; ".join(", ".join(f"{k} {r[k]}" for k in ("accepted", "replayed", "delivered", "spooled", "resent", "outcome_unknown", "lost_at_shutdown", "expired", "retries") if r[k]) for r in runs) + f"; the collector kept {sent} events, {distinct} distinct")
sys.exit(0 if eval(rule) else 1)
PY
    then
        echo "ok: $name (nginx: $(statuses))"
    else
        echo "FAILED: $name: not $rule (nginx: $(statuses))" >&2
        failures=$((failures + 1))
    fi
}

new_log
collector DELETE received
collector POST "faults/hold?ms=3000&count=2"
"${sluice[@]}" send -i "$work/small.ndjson" -e "http://127.0.0.1:$slow_port" --token T --retry-budget 30s --json -q >"$work/slow.json"
judge "answers slower than nginx's proxy_read_timeout (504s) are retried" \
    'saw504 and s["delivered"] == 2000 and s["outcome_unknown"] + s["lost_at_shutdown"] + s["expired"] == 0 and distinct == 2000' "$work/slow.json"

outage_then_resume term --spool "$work/spool" --stop-timeout 2s
judge "SIGTERM during an outage (502s) keeps the events in the spool; the next run sends each once" \
    'runs[0]["lost_at_shutdown"] + runs[0]["outcome_unknown"] == 0 and runs[0]["delivered"] + runs[0]["spooled"] == 2000 and runs[0]["delivered"] + s["delivered"] == 2000 and s["replayed"] == runs[0]["spooled"] and sent == distinct == 2000' \
    "$work/term1.json" "$work/term2.json"

new_log
collector DELETE received
collector POST "faults/hold?ms=10000&count=1000"
"${sluice[@]}" send -i "$work/small.ndjson" -e "http://127.0.0.1:$slow_port" --token T --stop-timeout 1s --json -q >"$work/term504.json" 2>"$work/term504.log" &
send_pid=$!
sleep 3
kill -TERM "$send_pid"
wait "$send_pid" || true
collector DELETE faults
judge "SIGTERM while every answer is a 504: what the collector has is not counted lost" \
    'saw504 and s["lost_at_shutdown"] == 0 and s["delivered"] + s["outcome_unknown"] == 2000 and distinct == 2000' "$work/term504.json"

outage_then_resume lost --stop-timeout 1s
# nginx answers 502 also when the collector dies holding a request, so an event whose attempts got 502s is of unknown
# outcome, not lost; either way the run from the line to resume after sends it again.
judge "SIGTERM during an outage (502s) without a spool: counted of unknown outcome or lost, none delivered, and the run from the line to resume after sends each once" \
    'runs[0]["delivered"] == 0 and runs[0]["outcome_unknown"] > 0 and runs[0]["lost_at_shutdown"] + runs[0]["outcome_unknown"] == 2000 and s["delivered"] == s["accepted"] == 2000 - full[0]["resume"]["skip_lines"] and sent == distinct == 2000' \
    "$work/lost1.json" "$work/lost2.json"

# The first 1,000 events (one batch) meet 502s for longer than a 2 s retry budget and are kept in the spool; the
# collector comes back; the next 1,000 are delivered, and the kept batch follows them while the pipe stays open.
stop_collector
new_log
rm -rf "$work/spool7"
{ head -n 1000 "$work/small.ndjson"; sleep 7; tail -n 1000 "$work/small.ndjson"; sleep 4; } |
    "${sluice[@]}" send -i - -e "http://127.0.0.1:$nginx_port" --token T --spool "$work/spool7" --retry-budget 2s --json -q >"$work/resend.json" 2>"$work/resend.log" &
send_pid=$!
sleep 5
start_collector
wait "$send_pid" || true
judge "an outage longer than the retry budget with --spool: the kept batch is sent again in the same run once the collector is back" \
    'runs[0]["spooled"] >= 1000 and s["resent"] == s["spooled"] and s["left_in_spool"] == 0 and s["delivered"] == 2000 and sent == distinct == 2000' \
    "$work/resend.json"

# Three batches through the rate limit (1 a second), 0.4 s apart from a pipe: the first passes; the second is refused
# with Retry-After: 1; the third comes while that runs, and a sender is free: it must wait too. A request that arrives
# within a Retry-After that nginx answered more than 50 ms earlier (the answer's round trip on loopback) was sent by a
# client that had been told to wait.
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"type\":\"track\",\"user_id\":\"u%d\",\"event_name\":\"small\",\"properties\":{\"n\":%d}}\n", i % 50, i }' >"$work/limited.ndjson"
collector DELETE received
{ head -n 1000 "$work/limited.ndjson"; sleep 0.4; sed -n 1001,2000p "$work/limited.ndjson"; sleep 0.4; tail -n 1000 "$work/limited.ndjson"; } |
    "${sluice[@]}" send -i - -e "http://127.0.0.1:$limited_port" --token T --retry-budget 60s --json -q >"$work/limited.json"
early="$(python3 - "$work/logs/limited.log" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
refused = [float(t) for t, _, status in rows if status == "429"]
arrived = [float(t) - float(took) for t, took, _ in rows]
print(len(refused), sum(1 for a in arrived if any(r + 0.05 < a < r + 0.95 for r in refused)))
PY
)"
read -r refused inside <<<"$early"
delivered="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["events"]["delivered"])' <"$work/limited.json")"
got="$(received)"
if [[ "$delivered" == 3000 && "$got" == "3000 0" && "$refused" -gt 0 && "$inside" == 0 ]]; then
    echo "ok: nginx's rate limit (429, Retry-After: 1) holds every batch to the endpoint (delivered $delivered; the collector received/duplicates: $got; 429s: $refused; requests inside a Retry-After: $inside)"
else
    echo "FAILED: nginx's rate limit: delivered $delivered of 3000; received/duplicates: $got; 429s: $refused (expected some); requests inside a Retry-After: $inside (expected 0)" >&2
    failures=$((failures + 1))
fi

exit $((failures > 0))
