#!/usr/bin/env bash
# Edge benchmark, following ../shared/bench/PROTOCOL.md: 4 KiB cache hits with a signed URL on
# signet's edge versus go-ceiling, nginx (signed / cache / static) and Varnish, same run, same CPU
# arrangement, everything on 127.0.0.1. NEVER run by CI (it installs Debian packages and takes
# minutes).
#
#   bench/edge.sh [-a A|B] [-r ROUNDS] [-d DURATION] [-c CONNECTIONS] [--cold] [--stream]
#
# signet is built as cmd/signet is, with profile-guided optimisation (default.pgo, see
# bench/pgo.sh); signet-nopgo is the same edge built with -pgo=off, to show what the profile adds.
# Defaults: arrangement A, 5 rounds, -d10s, -c64. --cold adds signet-cold (ECDSA P-256) and
# signet-cold-rsa (RSA-2048): the verified-signature cache off, every request a full verify.
# --stream adds PROTOCOL.md's streaming-memory check (1 GiB, no-store, through signet and nginx
# server 4, full speed and --limit-rate 100M); -r 0 --stream runs only that. Results (raw wrk
# output, per-run CPU lines and the summary table) go to bench/results/edge-<arrangement>-<UTC
# timestamp>/.
set -euo pipefail
cd "$(dirname "$0")/.."

ARR=A ROUNDS=5 DUR=10s CONNS=64 COLD=0 STREAM=0
while [ $# -gt 0 ]; do
  case "$1" in
    -a) ARR=$2; shift 2 ;;
    -r) ROUNDS=$2; shift 2 ;;
    -d) DUR=$2; shift 2 ;;
    -c) CONNS=$2; shift 2 ;;
    --cold) COLD=1; shift ;;
    --stream) STREAM=1; shift ;;
    *) echo "usage: bench/edge.sh [-a A|B] [-r ROUNDS] [-d DURATION] [-c CONNECTIONS] [--cold] [--stream]" >&2; exit 2 ;;
  esac
done
case "$ARR" in A|B) ;; *) echo "edge.sh: -a A or B" >&2; exit 2 ;; esac

SHARED=../shared/bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=bench/results/edge-$ARR-$STAMP
mkdir -p "$RES"
RES=$(cd "$RES" && pwd)
TMP=$(mktemp -d /tmp/signet-edge-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()

. bench/lib.sh
trap cleanup EXIT

need_packages nginx:nginx varnishd:varnish wrk:wrk

# --- build ----------------------------------------------------------------------------------
log "building"
go build -o "$TMP/ceiling" "$SHARED/ceiling/main.go"
go build -o "$TMP/origin" ./bench/origin
go build -o "$TMP/edgebench" ./bench/edgebench                   # with default.pgo, as cmd/signet
go build -pgo=off -o "$TMP/edgebench-nopgo" ./bench/edgebench     # signet-nopgo: what PGO adds

mkdir -p "$TMP/docroot"
head -c 4096 /dev/urandom >"$TMP/docroot/obj"

if [ "$ARR" = A ]; then
  PIN=(taskset -c 0) WRKPIN=(taskset -c 1) WRKT=1 WORKERS=1 GMP=1 VPOOLS=(-p thread_pools=1)
else
  PIN=() WRKPIN=() WRKT=2 WORKERS=auto GMP= VPOOLS=()
fi
# Plain commands (no shell function) in the background, so $! is the server's own PID: env and
# taskset exec into it.
if [ -n "$GMP" ]; then GOENV=(env GOMAXPROCS="$GMP"); else GOENV=(env); fi

P_ORIGIN=$(freeport) P_CEIL=$(freeport) P_SIGNET=$(freeport) P_COLD=$(freeport) P_COLDRSA=$(freeport)
P_NOPGO=$(freeport)
P_STATIC=$(freeport) P_CACHE=$(freeport) P_SIGNED=$(freeport) P_STREAM=$(freeport) P_VARNISH=$(freeport)
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

# --- start servers --------------------------------------------------------------------------
log "starting servers"
"$TMP/origin" -addr "127.0.0.1:$P_ORIGIN" -file "$TMP/docroot/obj" -big-size $(( 1 << 30 )) 2>"$TMP/origin.log" &
PIDS+=($!); PID_ORIGIN=$!
waitport "$P_ORIGIN"

"${GOENV[@]}" "${PIN[@]}" "$TMP/ceiling" -addr "127.0.0.1:$P_CEIL" -file "$TMP/docroot/obj" 2>"$TMP/ceiling.log" &
PIDS+=($!); PID_CEIL=$!

"${GOENV[@]}" "${PIN[@]}" "$TMP/edgebench" -addr "127.0.0.1:$P_SIGNET" -origin "http://127.0.0.1:$P_ORIGIN" \
  -url-file "$TMP/signet.url" -big-url-file "$TMP/big.url" 2>"$TMP/signet.log" &
PIDS+=($!); PID_SIGNET=$!

"${GOENV[@]}" "${PIN[@]}" "$TMP/edgebench-nopgo" -addr "127.0.0.1:$P_NOPGO" -origin "http://127.0.0.1:$P_ORIGIN" \
  -url-file "$TMP/nopgo.url" 2>"$TMP/nopgo.log" &
PIDS+=($!); PID_NOPGO=$!

if [ "$COLD" = 1 ]; then
  "${GOENV[@]}" "${PIN[@]}" "$TMP/edgebench" -cold -addr "127.0.0.1:$P_COLD" -origin "http://127.0.0.1:$P_ORIGIN" \
    -url-file "$TMP/cold.url" 2>"$TMP/cold.log" &
  PIDS+=($!); PID_COLD=$!
  "${GOENV[@]}" "${PIN[@]}" "$TMP/edgebench" -cold -key rsa -addr "127.0.0.1:$P_COLDRSA" -origin "http://127.0.0.1:$P_ORIGIN" \
    -url-file "$TMP/coldrsa.url" 2>"$TMP/coldrsa.log" &
  PIDS+=($!); PID_COLDRSA=$!
fi

NGX=$TMP/nginx
mkdir -p "$NGX"/{tmp_body,tmp_proxy,tmp_fastcgi,tmp_uwsgi,tmp_scgi,cache}
sed -e "s|{{WORKERS}}|$WORKERS|g" -e "s|{{PREFIX}}|$NGX|g" -e "s|{{DOCROOT}}|$TMP/docroot|g" \
    -e "s|{{ORIGIN}}|127.0.0.1:$P_ORIGIN|g" -e "s|{{SECRET}}|$SECRET|g" \
    -e "s|{{PORT_STATIC}}|$P_STATIC|g" -e "s|{{PORT_CACHE}}|$P_CACHE|g" \
    -e "s|{{PORT_SIGNED}}|$P_SIGNED|g" -e "s|{{PORT_STREAM}}|$P_STREAM|g" \
    "$SHARED/nginx-edge.conf.tmpl" >"$NGX/nginx.conf"
"${PIN[@]}" nginx -p "$NGX" -c "$NGX/nginx.conf" 2>"$TMP/nginx.log" &
PIDS+=($!); PID_NGINX=$!

mkdir -p "$TMP/varnish"
sed -e "s|{{ORIGIN_HOST}}|127.0.0.1|g" -e "s|{{ORIGIN_PORT}}|$P_ORIGIN|g" \
    "$SHARED/varnish.vcl.tmpl" >"$TMP/varnish.vcl"
"${PIN[@]}" varnishd -F -j none -n "$TMP/varnish" -a "127.0.0.1:$P_VARNISH" -f "$TMP/varnish.vcl" \
  -s malloc,256m "${VPOOLS[@]}" >"$TMP/varnish.log" 2>&1 &
PIDS+=($!); PID_VARNISH=$!

for p in "$P_CEIL" "$P_SIGNET" "$P_NOPGO" "$P_STATIC" "$P_CACHE" "$P_SIGNED" "$P_VARNISH"; do waitport "$p"; done
if [ "$COLD" = 1 ]; then waitport "$P_COLD"; waitport "$P_COLDRSA"; fi
for f in signet nopgo cold coldrsa; do
  [ "$f" != signet ] && [ "$f" != nopgo ] && [ "$COLD" != 1 ] && continue
  for i in $(seq 1 50); do [ -s "$TMP/$f.url" ] && break; sleep 0.1; done
done

EXPIRES=$(( $(date +%s) + 86400 ))
MD5=$(printf '%s' "$EXPIRES/obj $SECRET" | openssl md5 -binary | openssl base64 | tr '+/' '-_' | tr -d '=')

declare -A URL PIDOF
URL[go-ceiling]="http://127.0.0.1:$P_CEIL/obj";               PIDOF[go-ceiling]=$PID_CEIL
URL[signet]=$(head -n1 "$TMP/signet.url");                    PIDOF[signet]=$PID_SIGNET
URL[signet-nopgo]=$(head -n1 "$TMP/nopgo.url");               PIDOF[signet-nopgo]=$PID_NOPGO
URL[nginx-signed]="http://127.0.0.1:$P_SIGNED/obj?md5=$MD5&expires=$EXPIRES"; PIDOF[nginx-signed]=$PID_NGINX
URL[nginx-cache]="http://127.0.0.1:$P_CACHE/obj";             PIDOF[nginx-cache]=$PID_NGINX
URL[nginx-static]="http://127.0.0.1:$P_STATIC/obj";           PIDOF[nginx-static]=$PID_NGINX
URL[varnish]="http://127.0.0.1:$P_VARNISH/obj";               PIDOF[varnish]=$PID_VARNISH
TARGETS=(signet signet-nopgo go-ceiling nginx-signed nginx-cache nginx-static varnish)
if [ "$COLD" = 1 ]; then
  URL[signet-cold]=$(head -n1 "$TMP/cold.url"); PIDOF[signet-cold]=$PID_COLD
  URL[signet-cold-rsa]=$(head -n1 "$TMP/coldrsa.url"); PIDOF[signet-cold-rsa]=$PID_COLDRSA
  TARGETS+=(signet-cold signet-cold-rsa)
fi

# --- prime the caches and check hits --------------------------------------------------------
log "priming caches"
for t in "${TARGETS[@]}"; do
  curl -s -o /dev/null --max-time 5 "${URL[$t]}"
  hdr=$(curl -s -D - -o "$TMP/check.body" --max-time 5 "${URL[$t]}")
  code=$(printf '%s' "$hdr" | head -n1 | awk '{print $2}')
  if [ "$code" != 200 ] || ! cmp -s "$TMP/check.body" "$TMP/docroot/obj"; then
    echo "edge.sh: $t answered $code or wrong bytes" >&2; exit 1
  fi
  case "$t" in
    signet|signet-nopgo|signet-cold|signet-cold-rsa) printf '%s' "$hdr" | grep -qi '^X-Cache: Hit from signet' || { echo "edge.sh: $t not a hit" >&2; exit 1; } ;;
    nginx-signed|nginx-cache|varnish) printf '%s' "$hdr" | grep -qi '^X-Cache: HIT' || { echo "edge.sh: $t not a hit" >&2; exit 1; } ;;
  esac
done
ORIGIN_BEFORE=$(curl -s --max-time 5 "http://127.0.0.1:$P_ORIGIN/__count")

# --- measurement helpers --------------------------------------------------------------------
TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
# all descendants of a pid, itself included
tree() { local p=$1 c; echo "$p"; for c in $(pgrep -P "$p" 2>/dev/null || true); do tree "$c"; done; }
cpu_ticks() { # utime+stime of a process tree
  local sum=0 p s
  for p in $(tree "$1"); do
    [ -r "/proc/$p/stat" ] || continue
    s=$(sed 's/^.*) //' "/proc/$p/stat")
    set -- $s
    sum=$(( sum + ${12} + ${13} ))
  done
  echo "$sum"
}
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
wait_quiet() { # up to 15 s for the machine (minus nothing of ours) to fall under 5% of a core
  local i b0 b1
  for i in $(seq 1 15); do
    b0=$(busy_ticks); sleep 1; b1=$(busy_ticks)
    if [ $(( (b1 - b0) * 100 )) -lt $(( 5 * TCK )) ]; then return 0; fi
  done
  return 0
}

RUNS=$RES/runs.tsv
printf 'round\ttarget\trequests\trps\tp99\tserver_ticks\twrk_ticks\tbusy_ticks\twall_s\terrors\n' >"$RUNS"

run_one() { # round target
  local r=$1 t=$2 url=${URL[$2]} pid=${PIDOF[$2]} out=$RES/wrk-$1-$2.txt
  wait_quiet
  "${WRKPIN[@]}" wrk -t"$WRKT" -c"$CONNS" -d3s "$url" >/dev/null 2>&1 || true
  local s0 b0 t0 s1 b1 t1 wt
  s0=$(cpu_ticks "$pid"); b0=$(busy_ticks); t0=$(date +%s.%N)
  wt=$(bash -c '"$@" >"'"$out"'" 2>&1; read -ra s </proc/$$/stat; echo $(( s[15] + s[16] ))' _ \
        "${WRKPIN[@]}" wrk -t"$WRKT" -c"$CONNS" -d"$DUR" --latency "$url")
  s1=$(cpu_ticks "$pid"); b1=$(busy_ticks); t1=$(date +%s.%N)
  local reqs rps p99 non2xx sockerr
  reqs=$(awk '/requests in/{print $1}' "$out")
  rps=$(awk '/^Requests\/sec/{print $2}' "$out")
  p99=$(awk '$1=="99%"{print $2}' "$out")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$out"); non2xx=${non2xx:-0}
  sockerr=$(awk -F'[ ,]+' '/Socket errors/{print $4+$6+$8+$10}' "$out"); sockerr=${sockerr:-0}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$t" "$reqs" "$rps" "$p99" \
    $(( s1 - s0 )) "$wt" $(( b1 - b0 )) "$(echo "$t1 - $t0" | bc)" $(( non2xx + sockerr )) >>"$RUNS"
  log "round $r $t: $rps req/s p99 $p99 errors $(( non2xx + sockerr ))"
}

log "measuring: arrangement $ARR, $ROUNDS rounds, -c$CONNS -d$DUR"
n=${#TARGETS[@]}
for r in $(seq 1 "$ROUNDS"); do
  for i in $(seq 0 $(( n - 1 ))); do
    run_one "$r" "${TARGETS[$(( (i + r - 1) % n ))]}"
  done
done

ORIGIN_AFTER=$(curl -s --max-time 5 "http://127.0.0.1:$P_ORIGIN/__count")
{
  for t in "${TARGETS[@]}"; do
    hwm=0
    for p in $(tree "${PIDOF[$t]}"); do
      v=$(awk '/VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
      [ "${v:-0}" -gt "$hwm" ] && hwm=$v
    done
    printf '%s\t%s\n' "$t" "$hwm"
  done
} >"$RES/rss.tsv"

{
  echo "go: $(go version)"
  echo "kernel: $(uname -r)"
  echo "nginx: $(nginx -v 2>&1)"
  echo "varnish: $(varnishd -V 2>&1 | head -n1)"
  echo "wrk: $(wrk -v 2>&1 | head -n1)"
  echo "cpus: $NCPU; arrangement $ARR; rounds $ROUNDS; wrk -t$WRKT -c$CONNS -d$DUR"
  echo "origin requests during measurement: $(( ORIGIN_AFTER - ORIGIN_BEFORE ))"
} >"$RES/env.txt"

python3 - "$RES" "$TCK" "$NCPU" "$ARR" <<'PY'
import csv, statistics, sys
res, tck, ncpu, arr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rows = list(csv.DictReader(open(f"{res}/runs.tsv"), delimiter="\t"))
rss = dict(l.split("\t") for l in open(f"{res}/rss.tsv").read().split("\n") if l)
def ms(v):
    v = v.strip()
    for suf, mul in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if v.endswith(suf):
            return float(v[: -len(suf)]) * mul
    return float("nan")
by = {}
for r in rows:
    reqs = int(r["requests"] or 0)
    srv = int(r["server_ticks"]) / tck
    wrk = int(r["wrk_ticks"]) / tck
    busy = int(r["busy_ticks"]) / tck
    wall = float(r["wall_s"])
    foreign = max(busy - srv - wrk, 0) / (wall * ncpu)
    by.setdefault(r["target"], []).append(dict(
        rps=float(r["rps"] or 0), p99=ms(r["p99"] or "nan"), us=srv / max(reqs, 1) * 1e6,
        noisy=foreign > 0.03, foreign=foreign, errors=int(r["errors"]), core=srv / wall))
summary = {}
lines = [f"### Arrangement {arr}", "",
         "| target | req/s median (min-max) | p99 median | server CPU us/request | server core busy | peak RSS | errors | clean runs |",
         "|---|---|---|---|---|---|---|---|"]
for t, runs in by.items():
    clean = [x for x in runs if not x["noisy"]]
    use = clean if len(clean) >= 3 else runs
    rps = [x["rps"] for x in use]
    s = dict(rps=statistics.median(rps), p99=statistics.median(x["p99"] for x in use),
             us=statistics.median(x["us"] for x in use), core=statistics.median(x["core"] for x in use),
             errors=sum(x["errors"] for x in runs))
    summary[t] = s
    lines.append(f"| {t} | {s['rps']:.0f} ({min(rps):.0f}-{max(rps):.0f}) | {s['p99']:.2f} ms | {s['us']:.1f} | "
                 f"{s['core']*100:.0f}% | {int(rss.get(t, 0))/1024:.1f} MiB | {s['errors']} | {len(clean)}/{len(runs)} |")
if "signet" in summary:
    lines += ["", "| signet vs | req/s ratio | CPU/request ratio (peer us / signet us) | p99 (signet / peer) |", "|---|---|---|---|"]
    sg = summary["signet"]
    for t, s in summary.items():
        if t == "signet":
            continue
        lines.append(f"| {t} | {sg['rps']/s['rps']:.2f}x | {s['us']/sg['us']:.2f}x | {sg['p99']:.2f} / {s['p99']:.2f} ms |")
out = "\n".join(lines) + "\n"
open(f"{res}/summary.md", "w").write(out)
print(out)
PY
# --- streaming memory (PROTOCOL.md "Streaming memory") ----------------------------------------
# After the load rounds, since resetting the peak RSS would spoil rss.tsv. 1 GiB, no-store, via
# signet (streamed uncached: over max_object_bytes) and nginx server 4 (proxy_buffering on).
rss_kib() { awk -v k="$2" '$1==k":"{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
wbytes() { local sum=0 p v; for p in $(tree "$1"); do v=$(awk '/^write_bytes/{print $2}' "/proc/$p/io" 2>/dev/null || echo 0); sum=$(( sum + ${v:-0} )); done; echo "$sum"; }
stream_one() { # name url root-pid spool-dir mode(full|100M)
  local name=$1 url=$2 root=$3 spool=$4 mode=$5 p
  declare -A idle
  for p in $(tree "$root"); do idle[$p]=$(rss_kib "$p" VmRSS); echo 5 >"/proc/$p/clear_refs" 2>/dev/null || true; done
  local w0; w0=$(wbytes "$root")
  local maxspool=0 sampler=
  if [ -n "$spool" ]; then
    ( m=0; while :; do v=$(du -sb "$spool" 2>/dev/null | awk '{print $1}'); [ "${v:-0}" -gt "$m" ] && { m=$v; echo "$m" >"$TMP/spool.max"; }; sleep 0.1; done ) &
    sampler=$!
    echo 0 >"$TMP/spool.max"
  fi
  local rate=(); [ "$mode" = full ] || rate=(--limit-rate "$mode")
  local out
  out=$(curl -s -o /dev/null --max-time 120 "${rate[@]}" -w '%{http_code} %{size_download} %{time_starttransfer} %{time_total} %{speed_download}' "$url")
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; maxspool=$(cat "$TMP/spool.max"); fi
  local growth=0 g
  for p in $(tree "$root"); do g=$(( $(rss_kib "$p" VmHWM) - ${idle[$p]:-0} )); [ "$g" -gt "$growth" ] && growth=$g; done
  local w1; w1=$(wbytes "$root")
  set -- $out
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$1" "$2" "$3" "$4" "$5" "$growth" "$(( w1 - w0 > maxspool ? w1 - w0 : maxspool ))" >>"$RES/stream.tsv"
  log "stream $name $mode: HTTP $1, $2 bytes, first byte ${3}s, $(( ${5%.*} / 1048576 )) MiB/s, peak RSS growth $(( growth / 1024 )) MiB"
}
if [ "$STREAM" = 1 ]; then
  log "streaming 1 GiB through signet and nginx server 4"
  printf 'target\tmode\tstatus\tbytes\tttfb_s\ttotal_s\tbytes_per_s\trss_growth_kib\tspooled_bytes\n' >"$RES/stream.tsv"
  waitport "$P_STREAM"
  for mode in full 100M; do
    wait_quiet
    stream_one signet "$(head -n1 "$TMP/big.url")" "$PID_SIGNET" "" "$mode"
    wait_quiet
    stream_one nginx-stream "http://127.0.0.1:$P_STREAM/big" "$PID_NGINX" "$NGX/tmp_proxy" "$mode"
  done
  python3 - "$RES" <<'PY' | tee -a "$RES/summary.md"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/stream.tsv"), delimiter="\t"))
print("\n### Streaming 1 GiB (no-store)\n")
print("| target | client | status | first byte | throughput | peak RSS growth | spooled to disk |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['target']} | {'full speed' if r['mode']=='full' else '--limit-rate ' + r['mode']} | {r['status']} | "
          f"{float(r['ttfb_s'])*1000:.1f} ms | {float(r['bytes_per_s'])/2**20:.0f} MiB/s | "
          f"{int(r['rss_growth_kib'])/1024:.1f} MiB | {int(r['spooled_bytes'])/2**20:.0f} MiB |")
PY
fi

cat "$RES/env.txt"
log "results in $RES"
