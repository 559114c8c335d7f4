#!/usr/bin/env bash
# Regenerates cmd/signet/default.pgo: the CPU profile that Go's profile-guided optimisation uses
# for every build of the signet binary (go build reads default.pgo from the main package's
# directory, -pgo=auto being the default). bench/edgebench/default.pgo links to it, so the
# benchmarked edge is built the same way.
#
# The profile is the edge's hot path, as PROTOCOL.md measures it: 4 KiB cache hits on an
# ECDSA-signed canned URL, one core (GOMAXPROCS=1, taskset -c 0 when the machine has two CPUs),
# wrk -t1 -c64 for 30 s, everything on 127.0.0.1. The binaries profiled are built with -pgo=off,
# so a profile never feeds on itself. Regenerate after changing the hit path; a stale profile
# only optimises less, it never changes behaviour.
#
#   bench/pgo.sh            # writes cmd/signet/default.pgo
set -euo pipefail
cd "$(dirname "$0")/.."

TMP=$(mktemp -d)
PIDS=()
. bench/lib.sh
trap cleanup EXIT
need_packages wrk:wrk

log "building (without a profile)"
go build -pgo=off -o "$TMP/origin" ./bench/origin
go build -pgo=off -o "$TMP/edgebench" ./bench/edgebench
head -c 4096 /dev/urandom >"$TMP/obj"

PIN=() WRKPIN=()
if [ "$(nproc)" -ge 2 ]; then PIN=(taskset -c 0) WRKPIN=(taskset -c 1); fi
P_ORIGIN=$(freeport) P_EDGE=$(freeport) P_ADMIN=$(freeport)
"$TMP/origin" -addr "127.0.0.1:$P_ORIGIN" -file "$TMP/obj" 2>"$TMP/origin.log" &
PIDS+=($!)
waitport "$P_ORIGIN"
env GOMAXPROCS=1 "${PIN[@]}" "$TMP/edgebench" -addr "127.0.0.1:$P_EDGE" -origin "http://127.0.0.1:$P_ORIGIN" \
  -metrics "127.0.0.1:$P_ADMIN" -pprof -url-file "$TMP/url" 2>"$TMP/edge.log" &
PIDS+=($!)
waitport "$P_EDGE"
waitport "$P_ADMIN"
for i in $(seq 1 50); do [ -s "$TMP/url" ] && break; sleep 0.1; done
URL=$(head -n1 "$TMP/url")
curl -s -o /dev/null --max-time 5 "$URL"
curl -s -D - -o /dev/null --max-time 5 "$URL" | grep -qi '^X-Cache: Hit from signet' || { echo "pgo.sh: no cache hit" >&2; exit 1; }

log "profiling 30 s of cache hits"
"${WRKPIN[@]}" wrk -t1 -c64 -d35s "$URL" >"$TMP/wrk.txt" &
WRK=$!
sleep 2
curl -s --max-time 40 -o "$TMP/cpu.pprof" "http://127.0.0.1:$P_ADMIN/debug/pprof/profile?seconds=30"
wait "$WRK"
go tool pprof -top "$TMP/cpu.pprof" >/dev/null 2>&1 || { echo "pgo.sh: the profile does not parse" >&2; exit 1; }
cp "$TMP/cpu.pprof" cmd/signet/default.pgo
log "wrote cmd/signet/default.pgo ($(wc -c <cmd/signet/default.pgo) bytes; load: $(awk '/Requests\/sec/{print $2}' "$TMP/wrk.txt") req/s)"
