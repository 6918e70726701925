# End to end: tierd killed with SIGKILL in the middle of a 64-client write
# load loses no acknowledged write and applies none twice. Each round runs
# tier-bench --op score (durable candidate transitions) with --log, kills
# tierd after a random moment, and restarts it on the same data directory.
# At the end, with tierd stopped, the database must hold every acknowledged
# request exactly once (its idempotency row, and one audit entry of the
# version it answered), no version of a candidate twice, and pass PRAGMA
# integrity_check. KILL9_ROUNDS sets the number of rounds (default 3).
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

ROUNDS=${KILL9_ROUNDS:-3}
LOG=$E2E_TMP/acked.log

TIERD_EXTRA=()
tierd_config
sed -i 's/^level = debug$/level = info/' "$CONF"
bench_setup 1100 --clients 64

for round in $(seq 1 "$ROUNDS"); do
	note "round $round of $ROUNDS: 64 writers, then kill -9"
	before=$(grep -c '^A ' "$LOG" 2>/dev/null || true)
	"$TIER_BENCH" --server "$SERVER" --dir "$BENCH_DIR" --op score \
		--clients 64 --duration 60 --log "$LOG" \
		>"$E2E_TMP/bench.$round.out" 2>&1 &
	bench=$!
	# Kill once writes are being acknowledged, at a random moment after.
	for _ in $(seq 1 200); do
		[ "$(grep -c '^A ' "$LOG" 2>/dev/null || true)" -gt "${before:-0}" ] && break
		sleep 0.05
	done
	sleep "0.$((RANDOM % 9 + 1))"
	tierd_kill9
	if e2e_reap "$bench" 20; then
		pass "round $round: tier-bench ended when tierd died"
	else
		fail "round $round: tier-bench did not end after tierd died"
	fi
	after=$(grep -c '^A ' "$LOG" 2>/dev/null || true)
	if [ "${after:-0}" -gt "${before:-0}" ]; then
		pass "round $round: $((after - before)) writes acknowledged before the kill"
	else
		fail "round $round: no write was acknowledged"
		cat "$E2E_TMP/bench.$round.out"
	fi
	tierd_restart_same_port
done
tierd_stop

note "every acknowledged write is in the database exactly once"
cat >"$E2E_TMP/check.py" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sent, acked = {}, {}
for line in open(sys.argv[2]):
    kind, rid, cand, ver = line.split()
    (acked if kind == "A" else sent)[rid] = (int(cand), int(ver))
user = db.execute("SELECT id FROM users WHERE name = 'bench-sm'").fetchone()[0]
stored = {r[0] for r in db.execute(
    "SELECT request_id FROM requests WHERE user_id = ?", (user,))}
versions = {}
for eid, after in db.execute(
        "SELECT entity_id, after FROM audit WHERE action = 'candidate.score'"):
    key = (eid, json.loads(after)["version"])
    versions[key] = versions.get(key, 0) + 1
bad = 0
for rid, (cand, ver) in acked.items():
    if rid not in stored:
        print("acknowledged request %s is not stored" % rid); bad += 1
    if versions.get((cand, ver), 0) != 1:
        print("candidate %d version %d: %d audit entries, want 1"
              % (cand, ver, versions.get((cand, ver), 0))); bad += 1
twice = [k for k, n in versions.items() if n > 1]
for k in twice:
    print("candidate %d reached version %d twice" % k); bad += 1
lost = [rid for rid in sent if rid not in acked and rid in stored]
print("%d sent, %d acknowledged, all present once; %d unacknowledged "
      "were committed (allowed, at most once)" % (len(sent), len(acked), len(lost)))
sys.exit(1 if bad or not acked else 0)
PY
run python3 "$E2E_TMP/check.py" "$DATADIR/tier.db" "$LOG"
expect_rc 0 "acknowledged writes present exactly once"
cat "$OUT"

run sqlite3 "$DATADIR/tier.db" 'PRAGMA integrity_check'
if [ "$(cat "$OUT")" = ok ]; then
	pass "integrity_check says ok"
else
	fail "integrity_check says: $(head -c 200 "$OUT")"
fi
finish
