# Shared by the bench/ scripts (sourced): where the build is, a work
# directory, and what they read of a process from /proc.
root=$(cd "$(dirname "$0")/.." && pwd)
run="$root/build/bindings/l2tp-run"
[ -x "$run" ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
work=$(mktemp -d)

# Resident memory (KiB), open descriptors, CPU ticks (user + system) of pid
# $1; 0 once the process is gone.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
