# End to end: every acknowledged write survives tierd being killed with
# SIGKILL, and the database is a consistent SQLite file in WAL mode.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "20 users, each acknowledged"
acked=0
for i in $(seq -w 1 20); do
	tier_as root user add "user-$i" --role researcher --scope "bu:unit $i"
	if [ "$RC" -eq 0 ] && [ -n "$(code_in "$OUT")" ]; then
		acked=$((acked + 1))
	else
		fail "user add user-$i: exit $RC"
	fi
done
[ "$acked" -eq 20 ] && pass "all 20 user adds acknowledged with a code"

note "kill -9 and restart on the same data directory"
tierd_kill9
tierd_restart_same_port
run_as root user list
expect_rc 0 "user list after the restart"
missing=0
for i in $(seq -w 1 20); do
	e2e_has "$OUT" "user-$i" || { missing=$((missing + 1)); echo "missing: user-$i"; }
done
if [ "$missing" -eq 0 ]; then
	pass "all 20 users survived kill -9"
else
	fail "$missing of 20 acknowledged users are gone after kill -9"
fi
run_as root --output json user list
expect_rc 0 "user list --output json"
expect_json "user list --output json"
n=$(python3 -c '
import json, re, sys
text = sys.stdin.read()
print(len(set(re.findall(r"\"user-[0-9]{2}\"", text))))' <"$OUT")
if [ "$n" = 20 ]; then
	pass "the JSON list names 20 distinct users"
else
	fail "the JSON list names $n of the 20 users"
fi

note "users enrolled before the crash can still connect"
tier_as root user code user-07
CODE7=$(code_in "$OUT")
tier_as u7 enroll "$CODE7"
expect_rc 0 "user-07 enrols after the restart"
tierd_kill9
tierd_restart_same_port
run_as u7 whoami
expect_rc 0 "user-07's enrolment survived another kill -9"
expect_out "user-07" "whoami names user-07"

tierd_stop

note "the database file"
run sqlite3 "$DATADIR/tier.db" 'PRAGMA integrity_check'
expect_rc 0 "sqlite3 integrity_check runs"
if [ "$(cat "$OUT")" = ok ]; then
	pass "integrity_check says ok"
else
	fail "integrity_check says: $(head -c 200 "$OUT")"
fi
run sqlite3 "$DATADIR/tier.db" 'PRAGMA journal_mode'
if [ "$(cat "$OUT")" = wal ]; then
	pass "the database is in WAL mode"
else
	fail "journal_mode is '$(cat "$OUT")', want wal"
fi
finish
