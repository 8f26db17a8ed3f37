# Shared by the bench/ scripts (sourced): where the build is, a work
# directory, and what they read of a process from /proc.
root=$(cd "$(dirname "$0")/.." && pwd)
run=${BENCH_RUN:-"$root/build/bindings/l2tp-run"}
[ -x "$run" ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
work=$(mktemp -d)

# Resident memory (KiB), open descriptors, CPU time (ns, from schedstat:
# exact, where /proc/PID/stat counts 10 ms ticks) of pid $1; 0 once the
# process is gone.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
# UDP datagrams the kernel dropped for a full receive buffer, host-wide
# (in network namespace $1, if given)
udp_drops() { ${1:+ip netns exec "$1"} awk '$1 == "Udp:" && $6 ~ /^[0-9]+$/ { print $6 }' /proc/net/snmp; }

# Waits until file $1 has a line starting with $2 (at most $3 s, default
# 300); fails with the processes' errors otherwise.
wait_line() {
	i=0
	while ! grep -q "^$2" "$1" 2>/dev/null; do
		sleep 0.02
		i=$((i + 1))
		if [ $i -gt $((${3:-300} * 50)) ]; then
			echo "no '$2' in $1 after ${3:-300} s" >&2
			for f in "$work"/*.err; do sort "$f" | uniq -c | sort -rn | head -5 >&2; done
			return 1
		fi
	done
}

# bench_start T S: our LNS and our LAC (separate processes, null data plane,
# loopback); the LAC brings up T tunnels of S sessions. Returns when both
# say all are up, with $lns and $lac their pids. BENCH_LNS_* and
# BENCH_LAC_* in the environment reach them (see bench/lns.lua).
bench_start() {
	rm -f "$work/ready" "$work/lns.out" "$work/lac.out"
	"$run" "$root/bench/lns.lua" 0 "$work/ready" "$1" "$2" >"$work/lns.out" 2>"$work/lns.err" &
	lns=$!
	while [ ! -s "$work/ready" ]; do sleep 0.02; done
	"$run" "$root/bench/lac.lua" "$(cat "$work/ready")" "$1" "$2" >"$work/lac.out" 2>"$work/lac.err" &
	lac=$!
	wait_line "$work/lac.out" up && wait_line "$work/lns.out" up
}

bench_stop() {
	kill $lns $lac 2>/dev/null || true
	wait $lns $lac 2>/dev/null || true
	lns=""; lac=""
}

# bench_figures: one line of what the last bench_start measured: T S, the
# wall time from the LAC's start until both sides had everything up (s),
# the LNS's and the LAC's CPU in that time (ms), the LNS's resident memory
# before and with everything up (KiB).
bench_figures() {
	awk '$1 == "start" { t0 = $2 } $1 == "up" && FILENAME ~ /lac/ { t = $2; s = $3; wl = $4; lac = $5 }
	     $1 == "up" && FILENAME ~ /lns/ { wn = $4; lnscpu = $5; r0 = $6; r1 = $7 }
	     END { w = (wl > wn ? wl : wn) - t0
		   printf "%d %d %.6f %.3f %.3f %d %d\n", t, s, w, lnscpu / 1e6, lac / 1e6, r0, r1 }' \
		"$work/lac.out" "$work/lns.out"
}

# the median of the numbers on stdin, one a line
median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# median and spread of the numbers on stdin: "median (min-max)"
spread() {
	sort -g | awk 'function f(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.3g", x) }
		{ v[NR] = $1 } END { printf "%s (%s-%s)", f(v[int((NR + 1) / 2)]), f(v[1]), f(v[NR]) }'
}
