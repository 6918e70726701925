# End to end: tier-bench sets up a small data set through the real request
# path and measures each operation briefly against a real tierd. Only sanity
# is checked (requests answered, none failed), never timing.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config
bench_setup 200 --segments 3 --clients 8
expect_out "with 200 scored candidates"

# bench_expect WHAT ARGS...: one short measurement with sane numbers.
bench_expect() {
	local what=$1 line ok errors
	shift
	run "$TIER_BENCH" --server "$SERVER" --dir "$BENCH_DIR" --duration 1 "$@"
	expect_rc 0 "tier-bench $what"
	line=$(grep '^RESULT' "$OUT")
	ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")
	errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$line")
	if [ "${ok:-0}" -gt 0 ] && [ "$errors" = 0 ]; then
		pass "$what: $ok requests answered, none failed"
	else
		fail "$what: RESULT line is '$line'"
	fi
}

bench_expect "score" --op score --clients 4
bench_expect "score, open loop" --op score --clients 2 --rate 50
bench_expect "lookup" --op lookup --clients 4 --pipeline 4
bench_expect "candidate" --op candidate --clients 4
bench_expect "top20" --op top20 --clients 2
bench_expect "a mix" --op lookup=3,score=1 --clients 4
# Both operations answered, and the total is their sum.
python3 -c 'import sys
f = dict(kv.split("=", 1) for kv in sys.argv[1].split()[1:])
lo, sc, ok = int(f["lookup_ok"]), int(f["score_ok"]), int(f["ok"])
sys.exit(0 if lo > 0 and sc > 0 and lo + sc == ok and lo > sc else 1)' \
	"$(grep '^RESULT' "$OUT")" &&
	pass "a mix reports each operation, more lookups than scores" ||
	fail "mix RESULT: $(grep '^RESULT' "$OUT")"
run "$TIER_BENCH" --server "$SERVER" --dir "$BENCH_DIR" --duration 1 \
	--op lookup=1,idle=1
expect_rc 1 "idle cannot be mixed"
expect_err "cannot be mixed" "and the refusal says so"
bench_expect "fanout" --op fanout --clients 1 --watchers 3
d=$(grep '^RESULT' "$OUT" | sed -n 's/.* deliveries=\([0-9]*\).*/\1/p')
if [ "${d:-0}" -gt 0 ]; then
	pass "fanout: $d events delivered to the watchers"
else
	fail "fanout: no event reached a watcher"
fi

run "$TIER_BENCH" --server "$SERVER" --dir "$BENCH_DIR" --op idle \
	--clients 50 --duration 1
expect_rc 0 "tier-bench idle"
expect_out "RESULT op=idle connections=50 alive=50"

run "$TIER_BENCH" --help
expect_rc 0 "tier-bench --help"
expect_out "--op OP"
expect_tierd_alive "after every measurement"
tierd_stop
finish
