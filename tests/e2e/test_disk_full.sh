# End to end: on a full disk a write fails whole and tierd goes on. While
# every write to tierd's files fails with ENOSPC, writes are answered
# UNAVAILABLE, saying the database could not commit and the request had no
# effect, and the log does not tell them as made. Reads are still served,
# tierd keeps running, /health says writes are failing and why (503), and
# /metrics counts the failed commits. Once there is room again, writes
# succeed and /health is ok again. None of the refused writes is there,
# then or after kill -9 and a restart, and integrity_check is ok. The
# disk-faults preload ($DISK_FAULTS) fails every pwrite of tierd while
# $FULL exists.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

: "${DISK_FAULTS:?DISK_FAULTS must name the disk-faults preload library}"
FULL=$E2E_TMP/disk-full
WRITES=4

# expect_users PRESENT ABSENT WHAT: user list shows each of PRESENT and none
# of ABSENT (space-separated names).
expect_users() {
	local name
	run_as root user list
	expect_rc 0 "user list $3"
	for name in $1; do
		if e2e_has "$OUT" "$name"; then
			pass "$name is there $3"
		else
			fail "$name is missing $3"
		fi
	done
	for name in $2; do
		if e2e_has "$OUT" "$name"; then
			fail "$name is there $3, but was refused"
		else
			pass "$name is not there $3"
		fi
	done
}

TIERD_EXTRA=("http_listen = 127.0.0.1:0")
tierd_config
init_admin root
LD_PRELOAD=$DISK_FAULTS FSYNC_DELAY_US=0 WRITE_FAIL_FILE=$FULL tierd_start
wait_for "$TIERD_LOG" "http: /health and /metrics on" 10 ||
	die "tierd did not log where /health is"
enroll_as root "$CODE"
run_as root user add before --role researcher --scope "bu:unit 0"
expect_rc 0 "a write while the disk has room"

note "the disk is full: $WRITES writes at once"
touch "$FULL"
refused=""
BG_PIDS=()
for i in $(seq 1 "$WRITES"); do
	tier_bg root "write.$i" user add "full-$i" --role researcher --scope "bu:unit $i"
	refused="$refused full-$i"
done
for i in $(seq 1 "$WRITES"); do
	wait "${BG_PIDS[$((i - 1))]}" && rc=0 || rc=$?
	if [ "$rc" -eq 10 ] &&
		grep -q "could not commit; the request had no effect" "$E2E_TMP/write.$i.err"; then
		pass "write $i: UNAVAILABLE, no effect (exit 10)"
	else
		fail "write $i: exit $rc, want 10: $(head -c 300 "$E2E_TMP/write.$i.err")"
	fi
done
expect_tierd_alive "with the disk full"
grep -q "user before added by root" "$TIERD_LOG" &&
	pass "the log tells the write that was made" ||
	fail "the log does not tell 'user before added'"
grep -q "user full-[0-9]* added" "$TIERD_LOG" &&
	fail "the log tells a refused write as made: $(grep "user full-" "$TIERD_LOG" | head -n 2)" ||
	pass "the log tells none of the refused writes as made"
grep -q "commit: batch of [0-9]* failed: database or disk is full" "$TIERD_LOG" &&
	pass "the log says the disk is full" ||
	fail "the log does not say why the batch failed: $(tail -c 500 "$TIERD_LOG")"
expect_users "before" "$refused" "while the disk is full"
http_get /health
[ "$HSTATUS" = 503 ] &&
	grep -qx "writes failing: cannot commit: database or disk is full" "$HBODY" &&
	pass "/health: 503, writes failing, the disk is full" ||
	fail "/health while the disk is full: $HSTATUS $(head -c 200 "$HBODY")"
failures=$(tierd_metric tierd_commit_failures_total)
[ "$failures" != missing ] && [ "$failures" -ge 1 ] &&
	pass "/metrics counts $failures failed commit(s)" ||
	fail "tierd_commit_failures_total is $failures"

note "room again"
rm -f "$FULL"
run_as root user add after --role researcher --scope "bu:unit 9"
expect_rc 0 "a write once there is room again"
http_get /health
[ "$HSTATUS" = 200 ] && [ "$(cat "$HBODY")" = ok ] &&
	pass "/health is ok again" || fail "/health after: $HSTATUS $(head -c 200 "$HBODY")"
expect_users "before after" "$refused" "once there is room"

note "kill -9, restart on the same data directory"
tierd_kill9
tierd_restart_same_port
expect_users "before after" "$refused" "after kill -9"
tierd_stop
[ "$(dbq "$DATADIR/tier.db" "PRAGMA integrity_check")" = ok ] &&
	pass "integrity_check is ok" || fail "integrity_check failed"
finish
