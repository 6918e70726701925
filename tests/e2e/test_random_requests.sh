# End to end: thousands of well-formed requests of every kind, with random
# fields (rawpeer random, built from the .proto's descriptors), sent at once
# by an admin, a BU VP and a segment manager to a tierd holding a small data
# set; each request is sent again with a new value in the field its error
# names, which steers it past the checks into the handlers. Each is answered
# in turn, on a connection that stays open, with its kind's body or an error
# of a known code, never INTERNAL, whose message is UTF-8 and whose field is
# a field of the request. Afterwards tierd still serves, stops cleanly, its
# database passes integrity_check and its audit chain verifies.
# RANDOM_REQUESTS sets the count per user and RAWPEER_SEED replays a run
# (each rawpeer prints its seed).
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

N=${RANDOM_REQUESTS:-3000}

tierd_config
bench_setup 30 --segments 2 --clients 2
init_admin root
enroll_as root "$CODE"

# Names that exist, so that some random requests find what they name.
WORDS=$E2E_TMP/words
printf '%s\n' root bench-admin bench-vp bench-sm bench-bu bench-bg \
	bench-seg-1 bench-seg-2 bu:bench-bu bg:bench-bg seg:bench-seg-1 \
	"Bench Customer 000001" "Bench Customer 000007" quality volume fit \
	machinery east >"$WORDS"

# The three at once, so that group commits mix their changes and refusals.
declare -A pid
for who in admin vp sm; do
	RAWPEER_WORDS=$WORDS timeout 600 "$RAWPEER" random "$N" 127.0.0.1 \
		"$PORT" "$BENCH_DIR/$who.key" >"$E2E_TMP/$who.out" \
		2>"$E2E_TMP/$who.err" &
	pid[$who]=$!
done
for who in admin vp sm; do
	wait "${pid[$who]}"
	RC=$?
	LAST_CMD="rawpeer random $N as $who"
	cp "$E2E_TMP/$who.out" "$OUT"
	cp "$E2E_TMP/$who.err" "$ERR"
	note "$who: $(grep -m1 'seed' "$ERR")"
	cat "$OUT"
	expect_rc 0 "$N random requests as $who, each answered properly"
	expect_out "random requests, " "summary as $who"
done
expect_tierd_alive "after the random requests"

tier_as root status
expect_rc 0 "status still served"
tier_as root audit verify
expect_rc 0 "the audit chain verifies after the random requests"
tierd_stop
[ "$(sqlite3 "$DATADIR/tier.db" "PRAGMA integrity_check")" = ok ] &&
	pass "integrity_check is ok" || fail "integrity_check is not ok"
finish
