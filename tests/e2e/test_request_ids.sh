# End to end: a change's request id is remembered for server.request_id_ttl
# seconds. A retry within it is answered with the first result and changes
# nothing; after it the timer forgets the id (the database shows it gone),
# and the same id runs again as a new request.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# stored_ids: the request ids in the database, read beside the running tierd.
stored_ids() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
print(c.execute("SELECT count(*) FROM requests").fetchone()[0])' "$DATADIR/tier.db"
}

tierd_config "request_id_ttl = 2"
init_admin root
tierd_start
tier_as root enroll "$CODE"
expect_rc 0 "root enrols"

tier_as root --request-id ttl-1 --output json org add bg 集团甲
expect_rc 0 "a unit added under request id ttl-1"
FIRST=$(json_get unit.id)
tier_as root --request-id ttl-1 --output json org add bg 集团甲
expect_rc 0 "the same request retried at once is answered, not refused"
[ -n "$FIRST" ] && [ "$(json_get unit.id)" = "$FIRST" ] &&
	pass "with the unit it made the first time ($FIRST)" ||
	fail "the retry answered unit '$(json_get unit.id)', the first '$FIRST'"
[ "$(stored_ids)" = 1 ] && pass "one request id is stored" ||
	fail "stored request ids: $(stored_ids), want 1"

forgotten=""
for _ in $(seq 1 100); do
	[ "$(stored_ids)" = 0 ] && { forgotten=yes; break; }
	sleep 0.1
done
[ -n "$forgotten" ] && pass "the id is forgotten once 2 s have passed" ||
	fail "the request id is still stored after 10 s"
tier_as root --request-id ttl-1 --output json org add bg 集团甲
expect_rc 8 "the same id now runs again, as a new request: the unit exists"
expect_err "already" "and says so"
expect_tierd_alive "after forgetting request ids"
finish
