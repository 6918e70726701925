# End to end: when the disk fails a sync, no write waiting for that sync is
# answered with success. The writes are answered UNAVAILABLE ("could not make
# the change durable"), or, sent as tierd stops, not at all, and the log
# tells none of them as made. tierd stops, says why, and exits 1, so a
# supervisor sees a failure (tierd.service restarts on one). Restarted on a
# healthy disk, it has every write it answered before, and the database is
# whole. The disk-faults preload ($DISK_FAULTS) fails every sync of tierd
# with EIO while $FAIL exists.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

: "${DISK_FAULTS:?DISK_FAULTS must name the disk-faults preload library}"
FAIL=$E2E_TMP/fail-syncs
WRITES=4

tierd_config
init_admin root
LD_PRELOAD=$DISK_FAULTS FSYNC_DELAY_US=0 FSYNC_FAIL_FILE=$FAIL tierd_start
enroll_as root "$CODE"
run_as root user add before --role researcher --scope "bu:unit 0"
expect_rc 0 "a write while the disk's syncs succeed"

note "the disk's syncs fail from now on: $WRITES writes at once"
touch "$FAIL"
BG_PIDS=()
for i in $(seq 1 "$WRITES"); do
	tier_bg root "write.$i" user add "during-$i" --role researcher --scope "bu:unit $i"
done
unavailable=0
for i in $(seq 1 "$WRITES"); do
	wait "${BG_PIDS[$((i - 1))]}" && rc=0 || rc=$?
	err=$(head -c 300 "$E2E_TMP/write.$i.err")
	case $rc in
	10)
		if grep -q "could not make the change durable" "$E2E_TMP/write.$i.err"; then
			unavailable=$((unavailable + 1))
			pass "write $i: UNAVAILABLE, not durable (exit 10)"
		else
			fail "write $i: exit 10 without saying why: $err"
		fi
		;;
	3) pass "write $i: refused or cut off, tierd was stopping (exit 3)" ;;
	*) fail "write $i: exit $rc, want 10 or 3: $err" ;;
	esac
done
[ "$unavailable" -ge 1 ] &&
	pass "$unavailable write(s) told their change was not made durable" ||
	fail "no write was answered UNAVAILABLE"

note "tierd stops and exits 1, saying why"
if e2e_reap "$TIERD_PID" 15; then
	[ "$RC" -eq 1 ] && pass "tierd exited 1" || fail "tierd exited $RC, want 1"
else
	fail "tierd did not stop within 15 s of the failed sync"
fi
TIERD_PID=""
grep -q "cannot sync the write-ahead log: Input/output error" "$TIERD_LOG" &&
	pass "the log names the failed sync" ||
	fail "the log does not name the failed sync: $(tail -c 500 "$TIERD_LOG")"
grep -q "user during-[0-9]* added" "$TIERD_LOG" &&
	fail "the log tells a write as made that was never durable" ||
	pass "the log tells none of the writes whose sync failed as made"
grep -q "stopped: the write-ahead log cannot be synced" "$TIERD_LOG" &&
	pass "the log says why tierd stopped" ||
	fail "no 'stopped: ...' line: $(tail -c 500 "$TIERD_LOG")"

note "restarted on a healthy disk: what was answered is there, the database is whole"
rm -f "$FAIL"
tierd_restart_same_port
run_as root user list
expect_rc 0 "user list after the restart"
expect_out "before" "the write answered before the failure"
tierd_stop
[ "$(dbq "$DATADIR/tier.db" "PRAGMA integrity_check")" = ok ] &&
	pass "integrity_check is ok" || fail "integrity_check failed"
finish
