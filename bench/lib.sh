# Shell helpers shared by bench/edge.sh and bench/pgo.sh (sourced, never run). The caller sets
# TMP (a scratch directory) and PIDS (servers it started) and installs `trap cleanup EXIT`.

log() { printf '== %s\n' "$*" >&2; }

# cleanup stops every server in PIDS (and its children) by PID and removes TMP.
cleanup() {
  local p
  for p in "${PIDS[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}

# need_packages CMD:PACKAGE...: installs, from Debian, the packages whose command is missing
# (idempotent: nothing happens when all are there).
need_packages() {
  local need=() cp
  for cp in "$@"; do
    command -v "${cp%%:*}" >/dev/null || [ -x "/usr/sbin/${cp%%:*}" ] || need+=("${cp#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  export PATH="$PATH:/usr/sbin"
}

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# waitport PORT: up to 10 s for something to listen on 127.0.0.1:PORT.
waitport() {
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "${0##*/}: nothing listening on 127.0.0.1:$1" >&2; return 1
}
