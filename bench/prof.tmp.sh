set -eu
cd /work/main
. /work/main/bench/lib.sh
bench_start_prof() {
	rm -f "$work/ready"
	"$run" "$root/bench/lns.lua" 0 "$work/ready" "$1" "$2" >"$work/lns.out" 2>"$work/lns.err" &
	lns=$!
	while [ ! -s "$work/ready" ]; do sleep 0.02; done
	perf record -F 1000 --call-graph dwarf,16384 -p $lns -o /tmp/perf.data 2>/dev/null & pp=$!
	sleep 0.3
	"$run" "$root/bench/lac.lua" "$(cat "$work/ready")" "$1" "$2" >"$work/lac.out" 2>"$work/lac.err" &
	lac=$!
	wait_line "$work/lac.out" up && wait_line "$work/lns.out" up
	kill -INT $pp; wait $pp || true
}
bench_start_prof $1 $2
bench_figures
bench_stop
