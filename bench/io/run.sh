#!/usr/bin/env bash
# Packet I/O bench: kernel forwarding vs the AF_PACKET addon + a JS MAC-rewrite forwarder, in one run.
#
#   ns gen  eth0 10.1.0.1 ---veth--- ns fwd eth0 10.1.0.254 | eth1 10.2.0.254 ---veth--- ns sink eth0 10.2.0.2
#
# pktgen (C, AF_PACKET + sendmmsg x64 + PACKET_QDISC_BYPASS) sends 60-byte UDP frames to 10.2.0.3
# through fwd; fwd knows 10.2.0.3 at sink's MAC (static neighbour), and sink (ip_forward=0) drops
# them after its eth0 counted them. Phases:
#   kernel:   ip_forward=1 in fwd
#   addon V2: ip_forward=0, bench/io/fwd.ts on AfPacketIo (TPACKET_V2 ring)
#   addon V3: the same with a TPACKET_V3 ring
#   addon V2i: V2 without adaptive polling (one wakeup per frame at any load)
#   tsvs:     the real Engine (bench/io/fwd-tsvs.ts): UDP to a VIP, connection lookup, classic NAT
#             (with the UDP checksum computed, as IPVS does for checksum 0), V2 ring
#   tsvs@poll=N,spin=M: the same with AfPacketOptions pollIntervalUs=N, spinUs=M (A/B of the wakeup policy)
#   tsvs@nokf: the same without the kernel ingress filter (src/daemon/kernel-filter.ts), as tsvsd's
#   `kernel-filter off`
#   tsvs@workers=N (N or auto): the engine as `[engine] workers N` runs it (src/daemon/engine-workers.ts,
#   N data-path threads in PACKET_FANOUT groups); worker w is pinned to CPU (w + 1) % CPUs, so
#   worker 0 has CPU 1 to itself like the single engine and worker 1 shares CPU 0 with pktgen.
#   (RINGS="2 3 2i tsvs" picks the addon variants; default "2 3 tsvs")
# FLOWS=N (default 1): the flood comes from N UDP source ports (pktgen's flows argument), so the
# fanout has flows to spread; the latency phases stay one flow.
# Each phase: warm-up, DUR seconds at full rate (pps = sink rx delta / time), then LAT_S seconds at
# 200 pps with pktgen sink timestamping (SO_TIMESTAMPNS) for one-way latency. Phases alternate for
# REPS rounds, each after waiting (at most 30 s) for the shared box to be idle; medians are printed.
# gen is pinned to CPU 0 and fwd.ts to CPU 1. Namespaces and processes go away on any exit.
#
# Usage (root): bench/io/run.sh     env: REPS=3 DUR=3 LAT_S=5 LAT_PPS=200 RINGS="2 3" IDLE_MAX=15 FWD_PRIO=fifo FLOWS=1
#   workers axis: FLOWS=256 RINGS="tsvs tsvs@workers=1 tsvs@workers=2 tsvs@workers=auto" bench/io/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (namespaces, AF_PACKET)" >&2; exit 1; }
DUR=${DUR:-3}
LAT_S=${LAT_S:-5}
LAT_PPS=${LAT_PPS:-200}
RINGS=${RINGS:-"2 3 tsvs"}
FLOWS=${FLOWS:-1}
MAXPKT=50000000
[ "$DUR" -le 10 ] && [ "$LAT_S" -le 20 ] || { echo "DUR <= 10 and LAT_S <= 20, please" >&2; exit 1; }

OUT=bench/out
mkdir -p "$OUT"
cc -O2 -Wall -o "$OUT/pktgen" bench/io/pktgen.c
[ -f native/build/Release/tsvs_native.node ] || { echo "build the addon first: npm run setup" >&2; exit 1; }

SUF=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
GEN=tsvs-gen-$SUF FWD=tsvs-fwd-$SUF SINK=tsvs-sink-$SUF
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for n in $GEN $FWD $SINK; do ip netns delete "$n" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

for n in $GEN $FWD $SINK; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n $GEN link add eth0 type veth peer name eth0 netns $FWD
ip -n $SINK link add eth0 type veth peer name eth1 netns $FWD
for x in "$GEN eth0" "$FWD eth0" "$FWD eth1" "$SINK eth0"; do set -- $x; ip -n "$1" link set "$2" up; done
ip -n $GEN addr add 10.1.0.1/24 dev eth0
ip -n $FWD addr add 10.1.0.254/24 dev eth0
ip -n $FWD addr add 10.2.0.254/24 dev eth1
ip -n $SINK addr add 10.2.0.2/24 dev eth0
for n in $GEN $FWD $SINK; do ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0; done
ip netns exec $SINK sysctl -qw net.ipv4.ip_forward=0
mac() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }
FWD_MAC0=$(mac $FWD eth0)
SINK_MAC=$(mac $SINK eth0)
ip -n $FWD neigh add 10.2.0.3 lladdr "$SINK_MAC" dev eth1 nud permanent

rx_sink() { ip netns exec $SINK cat /sys/class/net/eth0/statistics/rx_packets; }
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; } # busy total (jiffies)
pcpu() { awk '{print $14+$15}' "/proc/$1/stat"; }                                 # utime+stime (ticks)
KSOFTIRQD=$(pgrep -d' ' '^ksoftirqd/' || true)
ksoft() { local t=0 p; for p in $KSOFTIRQD; do t=$((t + $(pcpu "$p"))); done; echo $t; } # softirq work deferred to ksoftirqd
HZ=$(getconf CLK_TCK)
GEN_CPUS=0
GEN_DST=10.2.0.3
gen() { ip netns exec $GEN taskset -c "$GEN_CPUS" "$OUT/pktgen" gen eth0 "$FWD_MAC0" 10.1.0.1 "$GEN_DST" "$@"; }
flood() { gen $MAXPKT "$1" 0 "$FLOWS"; } # flood SECONDS: as fast as possible from FLOWS flows
NCPU=$(nproc)
TIDS='' # the data-path threads of a tsvs@workers forwarder (fwd-tsvs.ts prints them)
tcpu() { local t s=''; for t in $TIDS; do s+="$(awk '{print $14+$15}' "/proc/$1/task/$t/stat" 2>/dev/null || echo 0) "; done; echo "$s"; }

# throughput [FWD_PID]: prints "pps gen_pps machine_us_per_pkt fwd_us_per_pkt others_pct pkts
# thread_cpu_s", where others_pct is the CPU the rest of the (shared) box used meanwhile, in % of one
# CPU: all busy time minus pktgen's, fwd.ts's and ksoftirqd's (softirq work the kernel deferred from
# them); pkts the frames the sink counted, thread_cpu_s the CPU seconds of each of TIDS (comma-separated).
throughput() {
  local pid=${1:-} r0 r1 b0 b1 t0 t1 c0=0 c1=0 g
  flood 1 >/dev/null # warm-up
  sleep 0.3
  local w0 w1
  local k0 k1 x0='' x1=''
  r0=$(rx_sink); read -r b0 t0 < <(busy); [ -n "$pid" ] && c0=$(pcpu "$pid") && x0=$(tcpu "$pid"); k0=$(ksoft); w0=$(date +%s.%N)
  g=$(flood "$DUR")
  r1=$(rx_sink); read -r b1 t1 < <(busy); [ -n "$pid" ] && c1=$(pcpu "$pid") && x1=$(tcpu "$pid"); k1=$(ksoft); w1=$(date +%s.%N)
  local xs
  xs=$(paste -d' ' <(echo "$x0" | tr ' ' '\n' | awk NF) <(echo "$x1" | tr ' ' '\n' | awk NF) | awk -v hz="$HZ" '{ printf "%s%.3f", (NR > 1 ? "," : ""), ($2 - $1) / hz }')
  local secs gpps gcpu
  secs=$(echo "$g" | sed -E 's/.*"seconds":([0-9.]+).*/\1/')
  gpps=$(echo "$g" | sed -E 's/.*"pps":([0-9.]+).*/\1/')
  gcpu=$(echo "$g" | sed -E 's/.*"cpu_s":([0-9.]+).*/\1/')
  awk -v r=$((r1 - r0)) -v s="$secs" -v g="$gpps" -v b=$((b1 - b0)) -v hz="$HZ" -v c=$((c1 - c0)) -v pid="$pid" -v gc="$gcpu" -v w0="$w0" -v w1="$w1" -v ks=$((k1 - k0)) -v xs="$xs" 'BEGIN {
    pps = r / s; mus = b / hz * 1e6 / (r > 0 ? r : 1); fus = pid == "" ? "-" : sprintf("%.2f", c / hz * 1e6 / (r > 0 ? r : 1));
    oth = (b / hz - gc - c / hz - ks / hz) / (w1 - w0) * 100; if (oth < 0) oth = 0;
    printf "%.0f %.0f %.2f %s %.0f %d %s\n", pps, g, mus, fus, oth, r, (xs == "" ? "-" : xs) }'
}

# latency [free]: one-way latency at LAT_PPS. free: gen, sink and fwd.ts may run on any CPU (the
# scheduler may wake fwd.ts next to the sender); else gen on CPU 0 and fwd.ts stays on CPU 1.
latency() {
  local out cpus=0
  out=$(mktemp)
  [ "${1:-}" = free ] && cpus=0-1
  GEN_CPUS=$cpus
  ip netns exec $SINK taskset -c "$cpus" "$OUT/pktgen" sink eth0 $((LAT_S + 3)) $((LAT_S * LAT_PPS)) >"$out" &
  PIDS+=($!)
  local sp=$!
  for _ in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
  gen $((LAT_S * LAT_PPS)) "$LAT_S" "$LAT_PPS" >/dev/null
  wait "$sp" || true
  GEN_CPUS=0
  tail -n1 "$out"
  rm -f "$out"
}

# ctl_probe: one more flood of DUR s while ctl-probe.ts asks fwd-tsvs.ts's control socket for
# engine.stats every 100 ms (what a tsvsadm call does); prints "p50_ms max_ms". Kept out of the
# throughput phase so the probe's own CPU does not count there; run after the unpinned latency
# phase, with the forwarder as tsvsd runs by default (any CPU, SCHED_OTHER).
ctl_probe() {
  local out pp j
  out=$(mktemp)
  node --import tsx bench/io/ctl-probe.ts "$OUT/fwd-ctl.sock" "$DUR" 100 >"$out" 2>&1 &
  pp=$!
  PIDS+=($pp)
  for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
  flood "$DUR" >/dev/null
  wait "$pp" || true
  j=$(tail -n1 "$out")
  rm -f "$out"
  echo "$(echo "$j" | sed -nE 's/.*"p50_ms":([0-9.]+).*/\1/p') $(echo "$j" | sed -nE 's/.*"max_ms":([0-9.]+).*/\1/p')"
}

# Waits (at most 60 s) until the other CPU users of this shared box calm down; prints busy %.
wait_idle() {
  local b0 t0 b1 t1 pct=100
  for _ in $(seq 30); do
    read -r b0 t0 < <(busy); sleep 1; read -r b1 t1 < <(busy)
    pct=$(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
    [ "$pct" -le "${IDLE_MAX:-15}" ] && break
  done
  echo "$pct"
}

run_fwd() { # ring (2, 3, or 2i = V2 without adaptive polling) -> starts fwd.ts, sets FP and FLOG
  FLOG=$(mktemp)
  local poll=()
  [ "${1%i}" != "$1" ] && poll=(0)
  if [ "${1%%@*}" = tsvs ]; then
    # the real director: NAT + connection lookup; pktgen then targets the VIP 10.1.0.100 (UDP :9).
    # tsvs@poll=0,spin=20 sets AfPacketOptions pollIntervalUs / spinUs for an A/B in one run.
    # The forwarder here is a dedicated data plane (main thread pinned below, SCHED_FIFO with
    # FWD_PRIO=fifo), the case busy polling is for (README: Pinning): spinUs 20 unless FWD_OPTS.
    local fo=${FWD_OPTS:-'{"spinUs":20}'} kf=on
    if [ "$1" = tsvs@nokf ]; then
      kf=off
    elif [ "$1" != tsvs ] && [ "${1#tsvs@workers=}" = "$1" ]; then
      fo=$(echo "${1#tsvs@}" | sed -E 's/poll=/"pollIntervalUs":/; s/spin=/"spinUs":/; s/^/{/; s/$/}/')
    fi
    local wk=()
    case $1 in tsvs@workers=*) wk=(env "FWD_WORKERS=${1#tsvs@workers=}") ;; esac
    GEN_DST=10.1.0.100
    FWD_CTL_SOCKET=$OUT/fwd-ctl.sock FWD_KERNEL_FILTER=$kf FWD_OPTS=$fo ip netns exec $FWD "${wk[@]}" node ${FWD_NODE_OPTS:-} --import tsx bench/io/fwd-tsvs.ts "$SINK_MAC" 9 >"$FLOG" 2>&1 &
  else
    GEN_DST=10.2.0.3
    ip netns exec $FWD node ${FWD_NODE_OPTS:-} --import tsx bench/io/fwd.ts eth0 eth1 "$SINK_MAC" "${1%i}" "${poll[@]}" >"$FLOG" 2>&1 &
  fi
  FP=$!
  PIDS+=($FP)
  for _ in $(seq 100); do grep -q ready "$FLOG" && break; sleep 0.1; done
  grep -q ready "$FLOG" || { cat "$FLOG"; exit 1; }
  TIDS=$(sed -nE 's/^ready tids=([0-9,]+)$/\1/p' "$FLOG" | tr ',' ' ')
  # Pin the forwarder's main thread (the data plane) to CPU 1, and only that thread: V8's compiler
  # threads must stay free to run elsewhere. With every thread pinned to CPU 1 and the main thread
  # SCHED_FIFO, a saturated main thread starved the concurrent TurboFan jobs, so the hot functions
  # stayed in baseline code for the whole run (--trace-opt: thousands of "marking ... for
  # optimization", never "completed"): 4.8 us/pkt instead of ~1.
  # With workers the data plane is their threads instead: worker w on CPU (w + 1) % CPUs.
  if [ -n "$TIDS" ]; then
    local w=0 t
    for t in $TIDS; do
      taskset -p -c $(((w + 1) % NCPU)) "$t" >/dev/null
      [ "${FWD_PRIO:-}" = fifo ] && chrt -f -p 10 "$t"
      w=$((w + 1))
    done
  else
    taskset -p -c 1 "$FP" >/dev/null
    # FWD_PRIO=fifo: the main thread as SCHED_FIFO 10 (a data plane that other tenants cannot preempt)
    [ "${FWD_PRIO:-}" = fifo ] && chrt -f -p 10 "$FP"
  fi
  return 0
}

KEYS="kernel $(for r in $RINGS; do echo addon-v$r; done)"
declare -A ROWS
for rep in $(seq "${REPS:-3}"); do
  for k in $KEYS; do
    idle=$(wait_idle)
    c50=nan cmax=nan wus='- -' TIDS=''
    if [ "$k" = kernel ]; then
      GEN_DST=10.2.0.3
      ip netns exec $FWD sysctl -qw net.ipv4.ip_forward=1
      read -r pps gpps mus fus oth pkts xs < <(throughput)
      lat=$(latency free)
      latx=$lat
      ip netns exec $FWD sysctl -qw net.ipv4.ip_forward=0
    else
      run_fwd "${k#addon-v}"
      read -r pps gpps mus fus oth pkts xs < <(throughput "$FP")
      latx=$(latency)
      # "unpinned" is tsvsd as it runs by default: any CPU, and back to SCHED_OTHER, so the
      # scheduler may wake it next to the sender (an RT task wakes on its previous CPU, which on
      # this VM means a cross-vCPU wakeup of ~80 us whenever that vCPU sleeps).
      taskset -a -p -c 0-1 "$FP" >/dev/null
      chrt -o -p 0 "$FP"
      for t in $TIDS; do chrt -o -p 0 "$t"; done
      lat=$(latency free)
      # The control socket under a flood, also as tsvsd runs by default: a SCHED_FIFO forwarder
      # that keeps its CPU busy is stopped by RT throttling (sched_rt_runtime_us 950000: 50 ms
      # in every second; dmesg "RT throttling activated"), which stalls its event loop too.
      case $k in addon-vtsvs*) read -r c50 cmax < <(ctl_probe) ;; esac
      kill -TERM "$FP"; wait "$FP" || true
      echo "   rep $rep $k fwd: $(grep -m1 '^{' "$FLOG" | cut -c1-2000)"
      # per worker: its share of the frames (its rxFrames over all workers', the same flows in every
      # flood) and its thread's CPU in the throughput phase -> CPU us per packet it handled
      if [ -n "$TIDS" ]; then
        wus=$(grep -m1 '^{' "$FLOG" | node -e '
          const j = JSON.parse(require("fs").readFileSync(0, "utf8")), w = j.engine.workers;
          const all = w.reduce((n, x) => n + x.rxFrames, 0), cpu = process.argv[1].split(",").map(Number);
          const us = w.map((x, i) => ((cpu[i] * 1e6) / ((Number(process.argv[2]) * x.rxFrames) / all)).toFixed(2));
          console.log(us.join("/"), w.map((x) => ((100 * x.rxFrames) / all).toFixed(0)).join("/"));' "$xs" "$pkts")
      fi
      rm -f "$FLOG"
    fi
    p50=$(echo "$lat" | sed -nE 's/.*"p50_us":([0-9.]+).*/\1/p'); p99=$(echo "$lat" | sed -nE 's/.*"p99_us":([0-9.]+).*/\1/p')
    x50=$(echo "$latx" | sed -nE 's/.*"p50_us":([0-9.]+).*/\1/p'); x99=$(echo "$latx" | sed -nE 's/.*"p99_us":([0-9.]+).*/\1/p')
    read -r wu wshare <<<"$wus"
    wmean=$(echo "$wu" | tr '/' '\n' | awk '$1 != "-" { s += $1; n++ } END { print n ? sprintf("%.2f", s / n) : "nan" }')
    ROWS[$k]+="$pps $gpps $mus $fus ${p50:-nan} ${p99:-nan} ${x50:-nan} ${x99:-nan} $oth ${c50:-nan} ${cmax:-nan} $wmean $wu $wshare;"
    echo "rep $rep $k: fwd ${pps} pps (gen ${gpps}), machine ${mus} us/pkt, fwd.ts ${fus} us/pkt, latency p50/p99 ${p50:-?}/${p99:-?} us unpinned, ${x50:-?}/${x99:-?} us cross-CPU, control socket p50/max ${c50}/${cmax} ms under the flood, per worker us/pkt ${wu} on shares ${wshare}% (box busy ${idle}% before, others ${oth}% of a CPU during)"
  done
done

# median of field F over the reps of key K (only reps where the rest of the box used <= QUIET% of a
# CPU during the throughput phase, if any; all reps otherwise)
QUIET=${QUIET:-10}
reps_of() { local r; r=$(echo "${ROWS[$1]}" | tr ';' '\n' | awk -v q="$QUIET" 'NF && $9 <= q'); [ -n "$r" ] && echo "$r" || echo "${ROWS[$1]}" | tr ';' '\n' | awk NF; }
nq() { echo "${ROWS[$1]}" | tr ';' '\n' | awk -v q="$QUIET" 'NF && $9 <= q' | wc -l; }
med() { reps_of "$1" | awk -v f="$2" '{ print $f }' | sort -g | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : "-") }'; }
best() { echo "${ROWS[$1]}" | tr ';' '\n' | awk -v f="$2" 'NF { print $f }' | sort -g | tail -n1; }

echo
echo "${REPS:-3} reps; ${DUR}s per throughput phase from $FLOWS flows, latency ${LAT_S}s at ${LAT_PPS} pps; $(uname -r), $(nproc) CPUs; $(uptime | sed 's/.*load average/load average/')"
echo "Medians over the quiet reps (the rest of the box used <= ${QUIET}% of a CPU during the throughput phase; all reps when none was quiet); best = highest pps of any rep."
echo "| path | quiet reps | forwarded pps | best pps | ratio to kernel (median / best) | machine CPU us/pkt | fwd.ts CPU us/pkt | latency p50 / p99 us, unpinned | latency p50 / p99 us, fwd.ts on the other CPU | control socket ms p50 / max, under the flood |"
echo "|---|---|---|---|---|---|---|---|---|---|"
kp=$(med kernel 1)
kb=$(best kernel 1)
for k in $KEYS; do
  printf '| %s | %s | %s | %s | %s / %s | %s | %s | %s / %s | %s / %s | %s / %s |\n' "$k" "$(nq "$k")" "$(med "$k" 1)" "$(best "$k" 1)" \
    "$(awk -v a="$(med "$k" 1)" -v b="$kp" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$(best "$k" 1)" -v b="$kb" 'BEGIN { printf "%.2f", a / b }')" \
    "$(med "$k" 3)" "$(med "$k" 4)" "$(med "$k" 5)" "$(med "$k" 6)" "$(med "$k" 7)" "$(med "$k" 8)" "$(med "$k" 10)" "$(med "$k" 11)"
done
WK=$(for k in $KEYS; do case $k in addon-vtsvs@workers=*) echo "$k" ;; esac; done)
if [ -n "$WK" ]; then
  # the workers axis: pps against the single engine (addon-vtsvs) and one worker, and each worker's
  # CPU per packet it handled (the mean over the workers; medians over the reps)
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
  echo
  echo "| path | forwarded pps | ratio to tsvs (main thread) | ratio to workers=1 | fwd process CPU us/pkt | per-worker CPU us/pkt (mean of workers) |"
  echo "|---|---|---|---|---|---|"
  medor0() { if [ -n "${ROWS[$1]:-}" ]; then med "$1" 1; else echo 0; fi; }
  main=$(medor0 addon-vtsvs) one=$(medor0 addon-vtsvs@workers=1)
  for k in addon-vtsvs $WK; do
    [ -n "${ROWS[$k]:-}" ] || continue
    printf '| %s | %s | %s | %s | %s | %s |\n' "$k" "$(med "$k" 1)" "$(ratio "$(med "$k" 1)" "$main")" \
      "$(ratio "$(med "$k" 1)" "$one")" "$(med "$k" 4)" "$(med "$k" 12)"
  done
fi
echo
echo "All reps (pps gen_pps machine_us fwd_us p50 p99 p50x p99x others% ctl_p50_ms ctl_max_ms worker_us_mean worker_us worker_share%):"
for k in $KEYS; do echo "  $k: ${ROWS[$k]}"; done
