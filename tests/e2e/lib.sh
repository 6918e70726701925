# Shared helpers of the end-to-end tests, sourced by each tests/e2e/test_*.sh.
# A script starts its own tierd on 127.0.0.1 with a port the kernel picks and
# a data directory under a temporary directory that is removed on exit, then
# drives it with the real tier binary, one configuration directory per
# simulated person. Assertions count passes and failures and print the
# command, its output and tierd's log when they fail; the script ends with
# "N passed, M failed" and exits non-zero if anything failed.
#
# CTest sets TIERD, TIER and RAWPEER to the binaries under test.

set -u

: "${TIERD:?TIERD must name the tierd binary}"
: "${TIER:?TIER must name the tier binary}"
: "${RAWPEER:?RAWPEER must name the rawpeer binary}"

E2E_NAME=$(basename "$0" .sh)
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tier-e2e.$E2E_NAME.XXXXXX") ||
	{ echo "$E2E_NAME: cannot make a temporary directory" >&2; exit 1; }
E2E_PASSED=0
E2E_FAILED=0
E2E_FINISHED=0

DATADIR=$E2E_TMP/data    # tierd's data directory
CONF=$E2E_TMP/tierd.conf # tierd's configuration file
TIERD_PID=""             # the running tierd, if any
TIERD_LOG=""             # stderr of the current (or last) tierd
TIERD_STARTS=0           # how many times tierd was started
PORT=""                  # the port tierd listens on
SERVER=""                # 127.0.0.1:PORT
RC=0                     # exit status of the last run/run_as
OUT=$E2E_TMP/out         # stdout of the last run/run_as
ERR=$E2E_TMP/err         # stderr of the last run/run_as
LAST_CMD=""              # the last command, for diagnostics
TIERD_EXTRA=()           # extra [server] lines a script wants in $CONF

# A HOME of our own: no test may read or write the real ~/.config/tier.
export HOME=$E2E_TMP/home
mkdir -p "$HOME"
unset XDG_CONFIG_HOME TIER_SERVER TIER_OUTPUT TIER_CONFIG_DIR

e2e_cleanup() {
	if [ -n "$TIERD_PID" ] && kill -0 "$TIERD_PID" 2>/dev/null; then
		kill -KILL "$TIERD_PID" 2>/dev/null
		wait "$TIERD_PID" 2>/dev/null
	fi
	if [ "$E2E_FINISHED" = 0 ]; then
		# Reached only when a script ended early (die or a shell error).
		echo "$E2E_NAME: ended early"
		echo "$E2E_PASSED passed, $((E2E_FAILED + 1)) failed"
	fi
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

note() {
	echo "--- $*"
}

# Prints everything that helps explain a failure.
e2e_diagnose() {
	if [ -n "$LAST_CMD" ]; then
		echo "    last command: $LAST_CMD"
		echo "    exit status: $RC"
		echo "    stdout:"
		sed 's/^/      | /' "$OUT" 2>/dev/null | head -40
		echo "    stderr:"
		sed 's/^/      | /' "$ERR" 2>/dev/null | head -40
	fi
	if [ -n "$TIERD_LOG" ] && [ -f "$TIERD_LOG" ]; then
		echo "    tierd log ($TIERD_LOG, last 40 lines):"
		tail -n 40 "$TIERD_LOG" | sed 's/^/      | /'
	fi
}

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	echo "ok: $*"
}

fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "FAIL: $*"
	e2e_diagnose
}

# A failure after which the script cannot sensibly go on.
die() {
	fail "$*"
	E2E_FINISHED=1
	echo "$E2E_NAME: stopped after a fatal failure"
	echo "$E2E_PASSED passed, $E2E_FAILED failed"
	exit 1
}

# Prints the summary line and exits with the verdict.
finish() {
	E2E_FINISHED=1
	echo "$E2E_PASSED passed, $E2E_FAILED failed"
	if [ "$E2E_FAILED" -ne 0 ] || [ "$E2E_PASSED" -eq 0 ]; then
		exit 1
	fi
	exit 0
}

# True while pid is a live (not zombie) process.
e2e_alive() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# tierd_config [EXTRA_INI_LINES...]: writes $CONF for the [server] section,
# listening on port 0 unless LISTEN is set, extra lines appended to [server]
# (default: the TIERD_EXTRA array).
tierd_config() {
	[ "$#" -gt 0 ] || set -- "${TIERD_EXTRA[@]}"
	{
		echo "[server]"
		echo "listen = ${LISTEN:-127.0.0.1:0}"
		echo "datadir = $DATADIR"
		echo "name = e2e-$E2E_NAME"
		local line
		for line in "$@"; do
			echo "$line"
		done
		echo "[log]"
		echo "level = debug"
	} >"$CONF"
}

# tierd_start [ARGS...]: starts tierd with $CONF in the background, waits
# (at most 10 s) for its "listening on" line and sets PORT and SERVER.
tierd_start() {
	local i line
	TIERD_STARTS=$((TIERD_STARTS + 1))
	TIERD_LOG=$E2E_TMP/tierd.$TIERD_STARTS.log
	LAST_CMD=""
	"$TIERD" -c "$CONF" "$@" </dev/null >"$E2E_TMP/tierd.$TIERD_STARTS.out" \
		2>"$TIERD_LOG" &
	TIERD_PID=$!
	for i in $(seq 1 100); do
		line=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$TIERD_LOG" |
			head -n 1)
		if [ -n "$line" ]; then
			PORT=${line##*:}
			SERVER=127.0.0.1:$PORT
			note "tierd (pid $TIERD_PID) listening on $SERVER"
			return 0
		fi
		if ! e2e_alive "$TIERD_PID"; then
			wait "$TIERD_PID"
			die "tierd exited with status $? before listening"
		fi
		sleep 0.1
	done
	die "tierd did not log 'listening on 127.0.0.1:PORT' within 10 s"
}

# tierd_restart_same_port: starts tierd again on the port it had, so that
# clients see the same host:port (their pins are per host:port).
tierd_restart_same_port() {
	local old=$PORT
	LISTEN=127.0.0.1:$old tierd_config
	tierd_start
	[ "$PORT" = "$old" ] || die "tierd came back on port $PORT, not $old"
}

# Waits at most $2 seconds (default 10) for pid $1 to exit, then reaps it and
# sets RC to its exit status. Returns 1 (and kills it) if it did not exit.
e2e_reap() {
	local pid=$1 limit=${2:-10} i
	for i in $(seq 1 $((limit * 10))); do
		e2e_alive "$pid" || break
		sleep 0.1
	done
	if e2e_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid"
	RC=$?
	return 0
}

# tierd_stop: SIGTERM, then expects a graceful exit with status 0 within 10 s.
tierd_stop() {
	local pid=$TIERD_PID
	[ -n "$pid" ] || die "tierd_stop: tierd is not running"
	kill -TERM "$pid"
	if ! e2e_reap "$pid" 10; then
		TIERD_PID=""
		fail "tierd did not exit within 10 s of SIGTERM"
		return
	fi
	TIERD_PID=""
	LAST_CMD=""
	if [ "$RC" -eq 0 ]; then
		pass "tierd exited 0 on SIGTERM"
	else
		fail "tierd exited $RC on SIGTERM, want 0"
	fi
}

# tierd_kill9: kills tierd without warning, as a crash or power cut would.
tierd_kill9() {
	kill -KILL "$TIERD_PID"
	wait "$TIERD_PID" 2>/dev/null
	TIERD_PID=""
}

# Fails unless tierd is still running.
expect_tierd_alive() {
	if [ -n "$TIERD_PID" ] && e2e_alive "$TIERD_PID"; then
		pass "tierd still running${1:+ ($1)}"
	else
		fail "tierd is not running${1:+ ($1)}"
	fi
}

# server_fingerprint: prints the "BLAKE2b:..." fingerprint tierd logged.
server_fingerprint() {
	grep -oE 'server key fingerprint BLAKE2b:[A-Za-z0-9+/]{43}' "$TIERD_LOG" |
		head -n 1 | sed 's/^server key fingerprint //'
}

# Extracts the first enrolment code (XXXX-XXXX-XXXX-XXXX) from a file.
code_in() {
	grep -oE '[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}' "$1" |
		head -n 1
}

# init_admin NAME: runs tierd --init-admin and sets CODE from its one line.
init_admin() {
	local name=$1 n
	LAST_CMD="$TIERD -d $DATADIR --init-admin $name"
	timeout 30 "$TIERD" -d "$DATADIR" --init-admin "$name" \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	[ "$RC" -eq 0 ] || die "tierd --init-admin $name exited $RC"
	n=$(wc -l <"$OUT")
	[ "$n" -eq 1 ] || die "tierd --init-admin printed $n lines, want 1"
	if ! grep -qE "^enrolment code for $name: [0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3} \(expires [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\)$" "$OUT"; then
		die "tierd --init-admin output is not 'enrolment code for $name: CODE (expires TIME)'"
	fi
	CODE=$(code_in "$OUT")
	pass "init-admin $name issued a code"
}

# The configuration directory of a simulated person.
person_dir() {
	echo "$E2E_TMP/people/$1"
}

# run CMD...: runs a command with a time limit (RUN_TIMEOUT seconds, default
# 60), recording RC, OUT and ERR.
run() {
	local limit=${RUN_TIMEOUT:-60}
	LAST_CMD="$*"
	timeout "$limit" "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
	[ "$RC" -ne 124 ] || echo "note: '$*' timed out after $limit s"
	return 0
}

# run_as PERSON ARGS...: runs tier as PERSON (own TIER_CONFIG_DIR), passing
# no server: the person's config file or environment must supply it.
run_as() {
	local who=$1
	shift
	mkdir -p "$E2E_TMP/people"
	LAST_CMD="[as $who] tier $*"
	TIER_CONFIG_DIR=$(person_dir "$who") timeout 60 "$TIER" "$@" \
		</dev/null >"$OUT" 2>"$ERR"
	RC=$?
	[ "$RC" -ne 124 ] || echo "note: '$LAST_CMD' timed out after 60 s"
	return 0
}

# tier_as PERSON ARGS...: run_as with --server $SERVER in front.
tier_as() {
	local who=$1
	shift
	run_as "$who" --server "$SERVER" "$@"
}

# tier_bg WHO NAME ARGS...: runs tier ARGS against tierd as WHO in the
# background, its output in $E2E_TMP/NAME.out and NAME.err; appends its pid
# to BG_PIDS.
tier_bg() {
	local who=$1 name=$2
	shift 2
	TIER_CONFIG_DIR=$(person_dir "$who") timeout 60 "$TIER" --server "$SERVER" \
		"$@" </dev/null >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.err" &
	BG_PIDS+=("$!")
}

# enroll_as PERSON CODE: enrols and expects success.
enroll_as() {
	tier_as "$1" enroll "$2"
	expect_rc 0 "$1 enrols"
}

# expect_rc N WHAT: the last command exited with N.
expect_rc() {
	if [ "$RC" -eq "$1" ]; then
		pass "$2 (exit $1)"
	else
		fail "$2: exit status $RC, want $1"
	fi
}

# expect_rc_in "N M ..." WHAT: the last command exited with one of them.
expect_rc_in() {
	local want
	for want in $1; do
		if [ "$RC" -eq "$want" ]; then
			pass "$2 (exit $RC)"
			return
		fi
	done
	fail "$2: exit status $RC, want one of: $1"
}

# e2e_has FILE STRING: fixed-string search.
e2e_has() {
	grep -qF -- "$2" "$1"
}

expect_out() {
	if e2e_has "$OUT" "$1"; then
		pass "${2:-stdout contains '$1'}"
	else
		fail "${2:-stdout should contain '$1'}: it does not"
	fi
}

expect_err() {
	if e2e_has "$ERR" "$1"; then
		pass "${2:-stderr contains '$1'}"
	else
		fail "${2:-stderr should contain '$1'}: it does not"
	fi
}

expect_no_out() {
	if e2e_has "$OUT" "$1"; then
		fail "${2:-stdout should not contain '$1'}: it does"
	else
		pass "${2:-stdout lacks '$1'}"
	fi
}

expect_no_err() {
	if e2e_has "$ERR" "$1"; then
		fail "${2:-stderr should not contain '$1'}: it does"
	else
		pass "${2:-stderr lacks '$1'}"
	fi
}

# Case-insensitive variants, for messages whose capitalisation is free.
expect_err_i() {
	if grep -qiF -- "$1" "$ERR"; then
		pass "${2:-stderr mentions '$1'}"
	else
		fail "${2:-stderr should mention '$1'}: it does not"
	fi
}

expect_out_i() {
	if grep -qiF -- "$1" "$OUT"; then
		pass "${2:-stdout mentions '$1'}"
	else
		fail "${2:-stdout should mention '$1'}: it does not"
	fi
}

# expect_json WHAT: stdout of the last command is one valid JSON document.
expect_json() {
	if python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT" 2>/dev/null; then
		pass "$1 is valid JSON"
	else
		fail "$1 is not valid JSON"
	fi
}

# expect_mode PATH MODE WHAT: the file's permission bits are exactly MODE.
expect_mode() {
	local got
	got=$(stat -c %a "$1" 2>/dev/null)
	if [ "$got" = "$2" ]; then
		pass "${3:-$1} has mode $2"
	else
		fail "${3:-$1} has mode '${got:-missing}', want $2"
	fi
}

# rawpeer_expect MODE [ARGS...]: runs rawpeer against tierd, expects a pass.
rawpeer_expect() {
	local mode=$1
	shift
	run "$RAWPEER" "$mode" "$@"
	if [ "$RC" -eq 0 ]; then
		pass "rawpeer $mode: server behaved"
	else
		fail "rawpeer $mode: exit $RC"
	fi
}

# new_key PATH: writes a fresh tier private key file (mode 0600), for people
# who have a key but were never enrolled.
new_key() {
	mkdir -p "$(dirname "$1")"
	chmod 700 "$(dirname "$1")"
	(
		umask 077
		python3 -c 'import base64, os
print("# tier X25519 private key")
print(base64.b64encode(os.urandom(32)).decode())' >"$1"
	)
}

# set_server PERSON ADDRESS: writes a config file naming the server.
set_server() {
	local dir
	dir=$(person_dir "$1")
	mkdir -p "$dir"
	chmod 700 "$dir"
	printf '[client]\nserver = %s\n' "$2" >"$dir/config"
}

# json_get PATH: prints the value at PATH (dot-separated keys and list
# indexes, e.g. candidate.id or items.0.candidate.customer) of the JSON
# document on stdout of the last command; empty when absent.
json_get() {
	python3 - "$1" "$OUT" <<'PY' 2>/dev/null
import json, sys
v = json.load(open(sys.argv[2]))
for k in sys.argv[1].split("."):
    if isinstance(v, list):
        v = v[int(k)] if int(k) < len(v) else None
    elif isinstance(v, dict):
        v = v.get(k)
    if v is None:
        break
if v is None:
    print("")
elif isinstance(v, bool):
    print("true" if v else "false")
elif isinstance(v, (dict, list)):
    print(json.dumps(v, ensure_ascii=False))
else:
    print(v)
PY
}

# add_person ADMIN NAME ROLE [SCOPE]: ADMIN adds user NAME, who enrols from
# a configuration directory of its own.
add_person() {
	local admin=$1 name=$2 role=$3 scope=${4:-} code
	if [ -n "$scope" ]; then
		tier_as "$admin" user add "$name" --role "$role" --scope "$scope"
	else
		tier_as "$admin" user add "$name" --role "$role"
	fi
	[ "$RC" -eq 0 ] || die "$admin could not add $name ($role $scope): $(cat "$ERR")"
	code=$(code_in "$OUT")
	tier_as "$name" enroll "$code"
	[ "$RC" -eq 0 ] || die "$name could not enrol: $(cat "$ERR")"
	pass "$name ($role${scope:+, $scope}) enrolled"
}

# key_of PERSON: the private key file of a simulated person.
key_of() {
	echo "$(person_dir "$1")/id_x25519"
}

# wait_for FILE STRING [SECONDS]: waits (default 10 s) until FILE contains
# STRING; returns 1 if it never does.
wait_for() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		[ -f "$1" ] && grep -qF -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# tierd_metric SERIES: the value of one series of the running tierd's
# /metrics (it needs http_listen), e.g. 'tierd_requests_total{kind="status"}';
# "missing" when there is no such series.
tierd_metric() {
	local HBODY=$E2E_TMP/metrics.body # the caller's last body stays
	[ -n "$(tierd_http_port)" ] || die "tierd_metric: this tierd serves no /metrics"
	http_get /metrics
	metric "$1"
}

# tierd_http_port: the port of the running tierd's /health and /metrics,
# from its log; empty without http_listen.
tierd_http_port() {
	grep -oE 'http: /health and /metrics on 127\.0\.0\.1:[0-9]+' \
		"$TIERD_LOG" | head -n 1 | grep -oE '[0-9]+$'
}

# http_get PATH [METHOD]: sets HSTATUS, HTYPE and HBODY (a file), asking
# port $HPORT, or the running tierd's.
HBODY=$E2E_TMP/http.body
http_get() {
	local out
	out=$(python3 -c 'import sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), method=sys.argv[3])
try:
    r = urllib.request.urlopen(req, timeout=10)
    code, headers, body = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    code, headers, body = e.code, e.headers, e.read()
open(sys.argv[4], "wb").write(body)
print(code, headers.get("Content-Type", ""))' "${HPORT:-$(tierd_http_port)}" "$1" \
		"${2:-GET}" "$HBODY") || die "no HTTP answer for $1"
	HSTATUS=${out%% *}
	HTYPE=${out#* }
}

# metric NAME{LABELS}: its value in the last http_get body, or "missing".
metric() {
	awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print "missing" }' "$HBODY"
}

# bench_setup N [TIER-BENCH ARGS...]: starts tierd (with $CONF) and gives it
# tier-bench's data set of N scored candidates, set up through the request
# path; the keys of its admin, BU VP and segment manager are then in
# $BENCH_DIR (admin.key, vp.key, sm.key).
bench_setup() {
	local n=$1
	shift
	: "${TIER_BENCH:?TIER_BENCH must name the tier-bench binary}"
	BENCH_DIR=$E2E_TMP/bench
	mkdir -p "$BENCH_DIR"
	init_admin bench-admin
	tierd_start
	RUN_TIMEOUT=120 run "$TIER_BENCH" --server "$SERVER" --dir "$BENCH_DIR" \
		--setup --code "$CODE" --candidates "$n" "$@"
	expect_rc 0 "tier-bench --setup of $n candidates"
}

# now_ms: the wall clock in Unix milliseconds.
now_ms() {
	date +%s%3N
}

# dbq FILE SQL: one value from a database file, read-only.
dbq() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(c.execute(sys.argv[2]).fetchone()[0])' "$1" "$2"
}
