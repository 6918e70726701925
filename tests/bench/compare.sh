#!/bin/bash
# Measures tierd and redis-server on this machine in one run, with the same
# number of clients, and prints each pair and the ratio:
#
#   durable transitions  tier-bench --op score (candidate_act SCORE: state
#                        machine, audit entry, idempotency row, feed; one
#                        group commit with fsync per batch) against
#                        redis-benchmark running EVAL of a script that does
#                        SET + LPUSH (atomic, as MULTI/EXEC would be) with
#                        appendonly yes, appendfsync always
#   point lookups        tier-bench --op lookup (customer_get) against
#                        redis-benchmark GET
#   fan-out              tier-bench --op fanout (one writer, WATCHERS
#                        subscribed connections) against tier-bench --redis
#                        (one PUBLISH connection, WATCHERS SUBSCRIBE
#                        connections): deliveries per second and latency
#                        from the write's send to each delivery
#
# plus the machine's serial fsync rate in the same directory as both
# databases, the top-20 ranked list over CANDIDATES candidates, and the
# server memory of IDLE idle authenticated connections. For the durable
# transitions and the lookups it also shows the CPU time (user + system)
# each server and each load generator spent per operation: on a machine
# with few cores the two share them, and a server that needs more CPU per
# operation than its peer cannot match its rate.
#
# usage: tests/bench/compare.sh [BUILD_DIR]   (default: build)
# Environment: CLIENTS (64), CANDIDATES (100000), DURATION (10 s per
# measurement), REPEAT (1: each measurement is taken REPEAT times in a row
# and the run with the median rate is shown, for machines whose figures
# move between runs), WATCHERS (64), IDLE (10000; 0 skips), BENCH_DIR (a
# directory for the databases; default a new one under TMPDIR or /tmp),
# FSYNC_DELAY_US (unset: the disk as it is; N: every fsync of tierd,
# redis-server and fsync-rate takes N microseconds longer, through the
# disk-faults preload library, to show both on slower storage).
set -eu

BUILD=${1:-build}
CLIENTS=${CLIENTS:-64}
CANDIDATES=${CANDIDATES:-100000}
DURATION=${DURATION:-10}
REPEAT=${REPEAT:-1}
WATCHERS=${WATCHERS:-64}
IDLE=${IDLE:-10000}
TIERD=$BUILD/tierd
BENCH=$BUILD/tests/bench/tier-bench
FSYNC=$BUILD/tests/bench/fsync-rate
FAULTS=$BUILD/tests/bench/libdisk-faults.so

for f in "$TIERD" "$BENCH" "$FSYNC"; do
	[ -x "$f" ] || { echo "compare.sh: $f is missing: build first" >&2; exit 2; }
done
for p in redis-server redis-benchmark; do
	command -v $p >/dev/null ||
		{ echo "compare.sh: $p is missing: deploy/install-deps.sh installs it" >&2; exit 2; }
done

# The servers and fsync-rate run under $SYNCED: the preload, if asked for.
SYNCED=()
if [ -n "${FSYNC_DELAY_US:-}" ]; then
	[ -f "$FAULTS" ] || { echo "compare.sh: $FAULTS is missing: build first" >&2; exit 2; }
	SYNCED=(env "LD_PRELOAD=$(realpath "$FAULTS")" "FSYNC_DELAY_US=$FSYNC_DELAY_US")
fi

WORK=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/tier-compare.XXXXXX")}
mkdir -p "$WORK"
TIERD_PID="" REDIS_PID=""
cleanup() {
	[ -n "$TIERD_PID" ] && kill "$TIERD_PID" 2>/dev/null && wait "$TIERD_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
	[ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"
	return 0
}
trap cleanup EXIT

# field NAME LINE: the value of NAME=... in a RESULT line.
field() {
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

ratio() {
	python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if b > 0 else 'n/a')" "$1" "$2"
}

# redis-benchmark --csv: "test","rps","avg","min","p50","p95","p99","max";
# the test name may hold commas, so count from the end.
csv_rps() { awk -F, '{print $(NF-6)}' <<<"$1" | tr -d '"'; }
csv_p50() { awk -F, '{print $(NF-3)}' <<<"$1" | tr -d '"'; }
csv_p99() { awk -F, '{print $(NF-1)}' <<<"$1" | tr -d '"'; }

# repeat_median NAME CMD [ARG...]: runs CMD REPEAT times. Each run shows its
# report on stderr and prints one result line holding NAME=VALUE; of those,
# the line with the median VALUE is printed (the lower middle of an even
# count).
repeat_median() {
	local name=$1
	shift
	for _ in $(seq "$REPEAT"); do
		"$@"
	done | python3 -c '
import sys
name = sys.argv[1] + "="
def value(line):
    for f in line.split():
        if f.startswith(name):
            return float(f[len(name):])
    return 0.0
lines = sorted((l.rstrip("\n") for l in sys.stdin if l.strip()), key=value)
if lines:
    print(lines[(len(lines) - 1) // 2])
' "$name"
}

# One run of tier-bench ARG...: its report on stderr, its RESULT line.
bench_once() {
	local out
	out=$("$BENCH" "$@" 2>&1) || true
	echo "$out" >&2
	grep '^RESULT' <<<"$out"
}

# cpu_us PID: the CPU time PID has used so far, in us (/proc/PID/stat
# fields 14 and 15, counted after the command name, which may hold spaces).
cpu_us() {
	awk -v hz="$(getconf CLK_TCK)" \
		'{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000000 / hz }' \
		"/proc/$1/stat"
}

# per_op US N: US microseconds over N operations, one decimal.
per_op() {
	python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "== machine: $(nproc) CPU(s), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(redis-server --version | cut -d' ' -f1-3), tierd $("$TIERD" --version 2>/dev/null | head -1)"
echo "== work directory $WORK ($(df -T "$WORK" | awk 'NR==2 {print $2}'))"
[ -n "${FSYNC_DELAY_US:-}" ] &&
	echo "== disk-faults: every fsync of tierd, redis-server and fsync-rate takes $FSYNC_DELAY_US us more"

echo "== fsync reference: one synced 100-byte append at a time"
# One run of fsync-rate: its line on stderr, and on stdout ending in rate=.
fsync_once() {
	local line
	line=$("${SYNCED[@]}" "$FSYNC" "$WORK" 3)
	echo "$line" >&2
	echo "$line rate=$(sed -n 's/.*: \([0-9]*\)\/s.*/\1/p' <<<"$line")"
}
FS=$(repeat_median rate fsync_once)
FSYNC_RATE=$(field rate "$FS")

echo "== tierd: set up $CANDIDATES scored candidates"
PORT=$(free_port)
cat >"$WORK/tierd.conf" <<EOF
[server]
listen = 127.0.0.1:$PORT
datadir = $WORK/tier
[log]
level = warn
EOF
CODE=$("$TIERD" -d "$WORK/tier" --init-admin bench-admin 2>/dev/null |
	grep -oE '[0-9A-Z]{4}(-[0-9A-Z]{4}){3}')
"${SYNCED[@]}" "$TIERD" -c "$WORK/tierd.conf" </dev/null >/dev/null 2>"$WORK/tierd.log" &
TIERD_PID=$!
for _ in $(seq 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break
	sleep 0.1
done
mkdir -p "$WORK/keys"
"$BENCH" --server 127.0.0.1:$PORT --dir "$WORK/keys" --setup --code "$CODE" \
	--candidates "$CANDIDATES" --clients "$CLIENTS"

# Runs tier-bench against tierd REPEAT times, prints the RESULT line with
# the median rate (delivery rate for fan-out).
run_tier() {
	local by=rate
	[[ " $* " == *" fanout "* ]] && by=delivery_rate
	repeat_median "$by" bench_once --server 127.0.0.1:$PORT \
		--server-pid "$TIERD_PID" --dir "$WORK/keys" \
		--duration "$DURATION" "$@"
}
echo "== tierd measurements ($CLIENTS clients, $DURATION s each, median of $REPEAT)"
T_SCORE=$(run_tier --op score --clients "$CLIENTS")
T_LOOKUP=$(run_tier --op lookup --clients "$CLIENTS")
T_TOP=$(run_tier --op top20 --clients "$CLIENTS")
T_FAN=$(run_tier --op fanout --clients 1 --watchers "$WATCHERS")

IDLE_LINE=""
if [ "$IDLE" -gt 0 ]; then
	echo "== tierd: $IDLE idle authenticated connections"
	rss() { awk '/^VmRSS/ {print $2}' "/proc/$TIERD_PID/status"; }
	before=$(rss)
	"$BENCH" --server 127.0.0.1:$PORT --dir "$WORK/keys" --op idle \
		--clients "$IDLE" --duration 5 >"$WORK/idle.out" 2>&1 &
	idle_pid=$!
	for _ in $(seq 600); do
		grep -q 'holding' "$WORK/idle.out" && break
		sleep 0.1
	done
	sleep 1
	after=$(rss)
	wait "$idle_pid" || true
	cat "$WORK/idle.out"
	IDLE_LINE="$IDLE idle connections: RSS $before -> $after KiB, $(python3 -c "print('%.1f' % (($after - $before) / $IDLE))") KiB each; $(grep '^RESULT' "$WORK/idle.out")"
	echo "$IDLE_LINE"
fi
kill "$TIERD_PID"
wait "$TIERD_PID" 2>/dev/null || true
TIERD_PID=""

echo "== redis-server: appendonly yes, appendfsync always, data in $WORK/redis"
RPORT=$(free_port)
mkdir -p "$WORK/redis"
"${SYNCED[@]}" redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$WORK/redis" \
	--appendonly yes --appendfsync always --save "" --daemonize no \
	--maxclients 20000 --loglevel warning >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 50); do
	redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
	sleep 0.1
done
# redis-benchmark runs a fixed number of requests (-n N), not a duration.
# One run of N requests: its csv line on stderr, and on stdout after rate=
# and the CPU us per request of redis-server and of redis-benchmark (from
# the shell's "times" for the children of the command substitution).
rb_once() {
	local n=$1 out line s0 s1 client
	shift
	s0=$(cpu_us "$REDIS_PID")
	out=$(redis-benchmark -p "$RPORT" -c "$CLIENTS" -n "$n" --csv "$@" | tail -1; times)
	s1=$(cpu_us "$REDIS_PID")
	line=$(head -1 <<<"$out")
	client=$(tail -1 <<<"$out" |
		awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d\n", t * 1e6 }')
	echo "$line" >&2
	echo "rate=$(csv_rps "$line") server_cpu_us=$(per_op $((s1 - s0)) "$n") cpu_us=$(per_op "$client" "$n") $line"
}
rb() {
	repeat_median rate rb_once "$@"
}
SCRIPT="redis.call('SET', KEYS[1], ARGV[1]); redis.call('LPUSH', KEYS[2], ARGV[1]); return 1"
R_DURABLE=$(rb 100000 -r "$CANDIDATES" eval "$SCRIPT" 2 \
	'cand:__rand_int__' 'audit:__rand_int__' 'scored-by-bench')
echo "EVAL SET+LPUSH, appendfsync always: $R_DURABLE"
redis-benchmark -p "$RPORT" -c "$CLIENTS" -n "$CANDIDATES" -r "$CANDIDATES" \
	-d 200 -t set -q >/dev/null
R_GET=$(rb 300000 -r "$CANDIDATES" -t get)
echo "GET: $R_GET"
R_FAN=$(repeat_median delivery_rate bench_once --redis \
	--server 127.0.0.1:$RPORT --server-pid "$REDIS_PID" --op fanout --clients 1 \
	--watchers "$WATCHERS" --duration "$DURATION")

echo
echo "== summary ($CLIENTS clients; fan-out: 1 writer, $WATCHERS watchers; median of $REPEAT run(s) each)"
printf '%-34s %12s %12s %8s\n' "" tierd redis ratio
printf '%-34s %12s %12s %8s\n' "durable transitions/s" \
	"$(field rate "$T_SCORE")" "$(csv_rps "$R_DURABLE")" \
	"$(ratio "$(field rate "$T_SCORE")" "$(csv_rps "$R_DURABLE")")"
printf '%-34s %12s %12s\n' "  p50 / p99 ms" \
	"$(field p50_ms "$T_SCORE")/$(field p99_ms "$T_SCORE")" \
	"$(csv_p50 "$R_DURABLE")/$(csv_p99 "$R_DURABLE")"
printf '%-34s %12s %12s\n' "  server / client CPU us per op" \
	"$(field server_cpu_us "$T_SCORE")/$(field cpu_us "$T_SCORE")" \
	"$(field server_cpu_us "$R_DURABLE")/$(field cpu_us "$R_DURABLE")"
printf '%-34s %12s %12s %8s\n' "point lookups/s" \
	"$(field rate "$T_LOOKUP")" "$(csv_rps "$R_GET")" \
	"$(ratio "$(field rate "$T_LOOKUP")" "$(csv_rps "$R_GET")")"
printf '%-34s %12s %12s\n' "  p50 / p99 ms" \
	"$(field p50_ms "$T_LOOKUP")/$(field p99_ms "$T_LOOKUP")" \
	"$(csv_p50 "$R_GET")/$(csv_p99 "$R_GET")"
printf '%-34s %12s %12s\n' "  server / client CPU us per op" \
	"$(field server_cpu_us "$T_LOOKUP")/$(field cpu_us "$T_LOOKUP")" \
	"$(field server_cpu_us "$R_GET")/$(field cpu_us "$R_GET")"
printf '%-34s %12s %12s %8s\n' "fan-out deliveries/s" \
	"$(field delivery_rate "$T_FAN")" "$(field delivery_rate "$R_FAN")" \
	"$(ratio "$(field delivery_rate "$T_FAN")" "$(field delivery_rate "$R_FAN")")"
printf '%-34s %12s %12s\n' "  delivery p50 / p99 ms" \
	"$(field d_p50_ms "$T_FAN")/$(field d_p99_ms "$T_FAN")" \
	"$(field d_p50_ms "$R_FAN")/$(field d_p99_ms "$R_FAN")"
printf '%-34s %12s\n' "top-20 of $CANDIDATES lists/s" "$(field rate "$T_TOP")"
printf '%-34s %12s %12s %8s\n' "durable vs serial fsync rate" \
	"$(field rate "$T_SCORE")" "$FSYNC_RATE" \
	"$(ratio "$(field rate "$T_SCORE")" "$FSYNC_RATE")"
[ -n "$IDLE_LINE" ] && echo "$IDLE_LINE"
echo "(Redis durable: redis-benchmark EVAL of SET + LPUSH, atomic like MULTI/EXEC,"
echo " one fsync per event-loop turn with appendfsync always; redis-benchmark"
echo " measures from actual send, tier-bench from intended send. CPU us per op:"
echo " user + system time of the server process and of the load generator in"
echo " the measurement, over the operations it completed; a server that runs"
echo " its requests on one thread does at most 1,000,000 / its figure per second.)"
