# End to end: the change feed as the server pushes it. Subscribers are raw
# protocol peers (rawpeer watch) that print what they receive as JSON lines.
# Several subscribers hear of a change right after its commit; nobody
# receives an event about a record outside their scope; filters and the
# approval-queue filter pick the right events; a subscriber resumes from a
# sequence number without loss or duplicates; a subscriber that does not
# read is told to resync at the buffer cap while another keeps receiving (and
# one past twice the cap is disconnected), and a catch-up many times the cap
# still arrives whole; pulling with feed_read gives the same events;
# heartbeats flow, a silent subscriber is closed, the idle timeout does not
# apply; and overdue approval steps are escalated to the right roles, once.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# A small cap, a short resume window, a fast escalation clock (one policy
# "hour" is a second), and an idle timeout shorter than a heartbeat.
tierd_config "idle_timeout = 3" "[feed]" "max_buffer = 65536" \
	"resume_window = 20" "escalation_check = 1" "step_limit_scale = 1"
init_admin root
ROOT_CODE=$CODE
tierd_start
tier_as root enroll "$ROOT_CODE"
expect_rc 0 "root enrols"

declare -A WATCH_PID=()
# Watchers die with the script, whatever ends it.
trap 'unwatch "${!WATCH_PID[@]}"; e2e_cleanup' EXIT

# watch WHO TAG [VAR=VALUE...]: starts rawpeer watch as WHO in the
# background (JSON lines in $E2E_TMP/watch.TAG) and waits until it is
# subscribed. The variables tune it (RAWPEER_FILTER, RAWPEER_AFTER, ...).
watch() {
	local who=$1 tag=$2
	shift 2
	env RAWPEER_SECONDS=120 "$@" "$RAWPEER" watch 127.0.0.1 "$PORT" \
		"$(key_of "$who")" >"$E2E_TMP/watch.$tag" \
		2>"$E2E_TMP/watch.$tag.err" &
	WATCH_PID[$tag]=$!
	wait_for "$E2E_TMP/watch.$tag" '"received_ms"' 10 ||
		die "$tag ($who) did not get an answer to subscribe"
}

# unwatch TAG...: stops watchers.
unwatch() {
	local tag
	for tag in "$@"; do
		kill "${WATCH_PID[$tag]}" 2>/dev/null
		wait "${WATCH_PID[$tag]}" 2>/dev/null
		unset "WATCH_PID[$tag]"
	done
}

# feed_check TAG SINCE WANT...: the events TAG received with seq > SINCE
# name exactly the records WANT ("candidate:12", "customer:3", or an entity
# alone for users, units and delegations), each seq once and in order.
feed_check() {
	local tag=$1 since=$2 got
	shift 2
	got=$(python3 - "$E2E_TMP/watch.$tag" "$since" "$@" <<'PY'
import json, sys
path, since, want = sys.argv[1], int(sys.argv[2]), set(sys.argv[3:])
seqs, got = [], set()
for line in open(path):
    ev = json.loads(line).get("event")
    if not ev or ev["seq"] <= since:
        continue
    seqs.append(ev["seq"])
    if ev["entity"] in ("candidate", "customer", "cycle"):
        got.add("%s:%d" % (ev["entity"], ev["entity_id"]))
    else:
        got.add(ev["entity"])
problems = []
if seqs != sorted(set(seqs)):
    problems.append("seqs not increasing or repeated: %s" % seqs)
if got - want:
    problems.append("unexpected: %s" % " ".join(sorted(got - want)))
if want - got:
    problems.append("missing: %s" % " ".join(sorted(want - got)))
print("; ".join(problems))
PY
)
	if [ -z "$got" ]; then
		pass "$tag received exactly its events"
	else
		fail "$tag: $got"
		sed 's/^/      | /' "$E2E_TMP/watch.$tag" | tail -20
	fi
}

# actions TAG [SINCE]: "action:entity_id" of TAG's events, one a line.
actions() {
	python3 - "$E2E_TMP/watch.$1" "${2:-0}" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line).get("event")
    if ev and ev["seq"] > int(sys.argv[2]):
        print("%s:%d" % (ev["action"], ev["entity_id"]))
PY
}

# expect_in TAG TEXT WHAT: TAG's output contains TEXT.
expect_in() {
	if e2e_has "$E2E_TMP/watch.$1" "$2"; then
		pass "$3"
	else
		fail "$3: $(cat "$E2E_TMP/watch.$1")"
	fi
}

# head_of TAG: the head_seq of TAG's subscribe response.
head_of() {
	python3 - "$E2E_TMP/watch.$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if "subscribed" in m:
        print(m["subscribed"]["head_seq"])
        break
PY
}

note "the organisation and its people"
for unit in "bg Industrial" "bu Drives --parent Industrial" \
	"segment East --parent Drives" "segment South --parent Drives" \
	"bu Pumps --parent Industrial" "segment West --parent Pumps"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	[ "$RC" -eq 0 ] || die "org add $unit: $(cat "$ERR")"
done
add_person root aud auditor
add_person root bgvp bg_vp bg:Industrial
add_person root buvp bu_vp bu:Drives
add_person root pumpvp bu_vp bu:Pumps
add_person root east segment_mgr segments:East
add_person root south segment_mgr segments:South
add_person root acct account_mgr segments:East
add_person root pumpmgr segment_mgr segments:West

tier_as buvp --output json cycle create --bu Drives --year 2027
CYCLE=$(json_get cycle.id)
[ -n "$CYCLE" ] || die "no cycle: $(cat "$ERR")"
tier_as buvp cycle set "$CYCLE" --min-score 0 --chain strategic=bu_vp,bg_vp \
	--chain key=bu_vp --step-limit 8784
expect_rc 0 "buvp sets the chains (and a step limit that never passes)"
tier_as buvp criteria set "$CYCLE" --criterion 'reach:60:0-10' \
	--criterion 'fit:40:0-10'
expect_rc 0 "buvp sets the criteria"
tier_as buvp cycle open "$CYCLE"
expect_rc 0 "buvp opens the cycle"

note "subscribers, one per person, and the heartbeat watchers"
for who in root aud bgvp buvp east south pumpmgr; do
	watch "$who" "$who"
done
# No pings: after 3 heartbeats of 5 s of silence the server hangs up.
watch pumpmgr silent RAWPEER_HEARTBEAT=5 RAWPEER_PING=0 RAWPEER_FILTER=segment=West
# Pings every 4 s, longer than the 3 s idle timeout: subscribed, it stays.
watch aud pinger RAWPEER_HEARTBEAT=5 RAWPEER_PING=4 RAWPEER_SECONDS=12 \
	RAWPEER_FILTER=segment=West
S0=$(head_of root)
[ -n "$S0" ] || die "no head_seq in the subscribe response"

note "a change reaches every subscriber right after its commit"
T0=$(now_ms)
tier_as east --output json customer add --bu Drives 'East Co' --industry motors
T1=$(now_ms)
expect_rc 0 "east adds a customer"
CUST_E=$(json_get customer.id)
for who in root aud bgvp buvp east south; do
	wait_for "$E2E_TMP/watch.$who" '"customer.add"' 5 ||
		fail "$who never heard of customer $CUST_E"
done
python3 - "$T0" "$T1" "$E2E_TMP"/watch.{root,aud,bgvp,buvp,east,south} <<'PY' &&
import json, sys
t0, t1 = int(sys.argv[1]), int(sys.argv[2])
for path in sys.argv[3:]:
    for line in open(path):
        m = json.loads(line)
        if m.get("event", {}).get("action") == "customer.add":
            # The event leaves right after the reply: before tier exits.
            assert t0 <= m["received_ms"] <= t1 + 500, (path, m, t0, t1)
            assert m["event"]["customer"]["name"] == "East Co", m
            assert m["event"]["user"] == "east", m
            break
    else:
        sys.exit("%s: no customer.add" % path)
PY
	pass "six subscribers got the event, with the record, before the command returned" ||
	fail "an event came late or without its record"

note "scope: nobody hears of a record they cannot see"
tier_as pumpmgr --output json customer add --bu Pumps 'West Co'
CUST_W=$(json_get customer.id)
tier_as east --output json candidate propose --cycle "$CYCLE" --segment East --customer "$CUST_E"
CAND_E=$(json_get candidate.id)
tier_as south --output json customer add --bu Drives 'South Co'
CUST_S=$(json_get customer.id)
tier_as south --output json candidate propose --cycle "$CYCLE" --segment South --customer "$CUST_S"
CAND_S=$(json_get candidate.id)
tier_as pumpvp --output json cycle create --bu Pumps --year 2027
CY_P=$(json_get cycle.id)
tier_as pumpvp criteria set "$CY_P" --criterion 'reach:100:0-10'
tier_as pumpvp cycle open "$CY_P"
tier_as pumpmgr --output json candidate propose --cycle "$CY_P" --segment West --customer "$CUST_W"
CAND_W=$(json_get candidate.id)
tier_as root org add segment North --parent Drives
tier_as root user add newbie --role researcher --scope segments:North
TODAY=$(date -u +%F)
LATER=$(date -u -d "+30 days" +%F)
tier_as pumpvp delegate add pumpmgr --from "$TODAY" --until "$LATER"
expect_rc 0 "pumpvp delegates to pumpmgr"
[ -n "$CUST_W" ] && [ -n "$CAND_E" ] && [ -n "$CUST_S" ] && [ -n "$CAND_S" ] &&
	[ -n "$CY_P" ] && [ -n "$CAND_W" ] || die "the scope changes did not all happen"
wait_for "$E2E_TMP/watch.aud" '"delegation.add"' 5 || fail "aud missed the delegation"
sleep 0.5
ALL="customer:$CUST_E customer:$CUST_W candidate:$CAND_E customer:$CUST_S
candidate:$CAND_S cycle:$CY_P candidate:$CAND_W unit user delegation"
# shellcheck disable=SC2086
{
	feed_check root "$S0" $ALL
	feed_check aud "$S0" $ALL
	feed_check bgvp "$S0" customer:$CUST_E customer:$CUST_W customer:$CUST_S \
		candidate:$CAND_E candidate:$CAND_S candidate:$CAND_W cycle:$CY_P
	feed_check buvp "$S0" customer:$CUST_E customer:$CUST_S candidate:$CAND_E \
		candidate:$CAND_S
	feed_check east "$S0" customer:$CUST_E customer:$CUST_S candidate:$CAND_E
	feed_check south "$S0" customer:$CUST_E customer:$CUST_S candidate:$CAND_S
	feed_check pumpmgr "$S0" customer:$CUST_W cycle:$CY_P candidate:$CAND_W
}
if grep -h '"entity":"candidate"' "$E2E_TMP"/watch.{east,south,pumpmgr} |
	python3 -c '
import json, sys
for line in sys.stdin:
    ev = json.loads(line)["event"]
    assert ev.get("candidate"), ev
    assert ev["candidate"]["id"] == ev["entity_id"], ev
'; then
	pass "candidate events carry the record as it is now"
else
	fail "a candidate event lacks its record"
fi
unwatch root bgvp east south pumpmgr

note "filters: my queue, segment, cycle, one candidate"
watch buvp buvp_q RAWPEER_FILTER=my_queue
watch bgvp bgvp_q RAWPEER_FILTER=my_queue
watch east east_q RAWPEER_FILTER=my_queue
watch aud seg RAWPEER_FILTER=segment=East
watch aud cyc "RAWPEER_FILTER=cycle=$CYCLE"
# The same user twice with the same filter: events are built once for both.
watch aud seg2 RAWPEER_FILTER=segment=East
watch east one "RAWPEER_FILTER=candidate=$CAND_E"
S1=$(head_of buvp_q)
tier_as east candidate score "$CAND_E" reach=10 fit=10
expect_rc 0 "east scores its candidate"
tier_as east candidate submit "$CAND_E" --tier strategic --owner acct
expect_rc 0 "east submits it as strategic"
tier_as south candidate score "$CAND_S" reach=5 fit=5
expect_rc 0 "south scores its candidate"
tier_as buvp candidate approve "$CAND_E"
expect_rc 0 "buvp approves step 1"
tier_as bgvp candidate approve "$CAND_E"
expect_rc 0 "bgvp approves step 2"
wait_for "$E2E_TMP/watch.cyc" '"candidate.approve"' 5
sleep 1
want() {
	local got
	got=$(actions "$1" "$S1" | tr '\n' ' ')
	if [ "$got" = "$2" ]; then
		pass "$1 received: ${2:-nothing}"
	else
		fail "$1 received '$got', want '$2'"
	fi
}
want buvp_q "candidate.submit:$CAND_E candidate.approve:$CAND_E "
want bgvp_q "candidate.approve:$CAND_E candidate.approve:$CAND_E "
want east_q ""
want seg "candidate.score:$CAND_E candidate.submit:$CAND_E candidate.approve:$CAND_E candidate.approve:$CAND_E "
want cyc "candidate.score:$CAND_E candidate.submit:$CAND_E candidate.score:$CAND_S candidate.approve:$CAND_E candidate.approve:$CAND_E "
want one "candidate.score:$CAND_E candidate.submit:$CAND_E candidate.approve:$CAND_E candidate.approve:$CAND_E "
want seg2 "candidate.score:$CAND_E candidate.submit:$CAND_E candidate.approve:$CAND_E candidate.approve:$CAND_E "
if python3 - "$E2E_TMP/watch.seg" "$E2E_TMP/watch.seg2" "$S1" <<'PY'; then
import json, sys
def events(path):
    out = []
    for line in open(path):
        ev = json.loads(line).get("event")
        if ev and ev["seq"] > int(sys.argv[3]):
            out.append(json.dumps(ev, sort_keys=True))
    return out
a, b = events(sys.argv[1]), events(sys.argv[2])
sys.exit(0 if a and a == b else 1)
PY
	pass "two subscribers of one user and filter get identical events"
else
	fail "seg and seg2 differ: $(diff "$E2E_TMP/watch.seg" "$E2E_TMP/watch.seg2" | head -5)"
fi

note "resuming from a sequence number"
watch aud resumed "RAWPEER_AFTER=$S1"
tier_as east --output json customer update "$CUST_E" --region Shanghai
expect_rc 0 "a change after the resumed subscription"
wait_for "$E2E_TMP/watch.resumed" '"customer.update"' 5 ||
	fail "the resumed subscriber missed a live event"
wait_for "$E2E_TMP/watch.aud" '"customer.update"' 5
sleep 0.5
if [ "$(actions aud "$S1")" = "$(actions resumed "$S1")" ] &&
	[ -n "$(actions resumed "$S1")" ]; then
	pass "the resumed subscriber got the same events as the live one, once each"
else
	fail "resumed: $(actions resumed "$S1" | tr '\n' ' ') / live: $(actions aud "$S1" | tr '\n' ' ')"
fi
feed_check resumed "$S1" "candidate:$CAND_E" "candidate:$CAND_S" "customer:$CUST_E"
HEAD=$(head_of resumed)
watch aud old RAWPEER_AFTER=1 RAWPEER_SECONDS=1
expect_in old '"resync_required":true' "resuming from beyond the window needs a resync"
watch aud ahead "RAWPEER_AFTER=$((HEAD + 100))" RAWPEER_SECONDS=1
expect_in ahead '"code":"bad_request","field":"subscribe.after_seq"' \
	"resuming from beyond the head is refused"
expect_in ahead "is ahead of the server's head" "and says so"
watch east hidden RAWPEER_FILTER=segment=West RAWPEER_SECONDS=1
expect_in hidden '"code":"not_found","field":"subscribe.filter.segment"' \
	"a filter on a segment out of scope is not found"
watch east hidden2 "RAWPEER_FILTER=candidate=$CAND_W" RAWPEER_SECONDS=1
expect_in hidden2 '"field":"subscribe.filter.candidate_id"' \
	"a filter on a candidate out of scope is not found"
unwatch buvp_q bgvp_q east_q seg seg2 cyc one resumed old ahead hidden hidden2

note "feed_read: the same events, pulled in pages"
# feed_pages WHO AFTER LIMIT [VAR=VALUE...]: reads WHO's feed after AFTER in
# pages of LIMIT until "more" is false; prints "action:id" lines, then a
# line "pages N".
feed_pages() {
	local who=$1 after=$2 limit=$3
	shift 3
	python3 - "$RAWPEER" "$PORT" "$(key_of "$who")" "$after" "$limit" "$@" <<'PY'
import json, os, subprocess, sys
rawpeer, port, key, after, limit = sys.argv[1:6]
env = dict(os.environ, RAWPEER_LIMIT=limit)
env.update(v.split("=", 1) for v in sys.argv[6:])
pages, after = 0, int(after)
while True:
    env["RAWPEER_AFTER"] = str(after)
    out = subprocess.run([rawpeer, "feed-read", "127.0.0.1", port, key],
                         env=env, capture_output=True, text=True).stdout
    page = json.loads(out.splitlines()[-1])["feed_read"]
    pages += 1
    assert len(page["events"]) <= int(limit), page
    for m in page["events"]:
        print("%s:%d" % (m["event"]["action"], m["event"]["entity_id"]))
    assert page["last_seq"] >= after, page
    after = page["last_seq"]
    if not page["more"]:
        assert after == page["head_seq"], page
        break
print("pages %d" % pages)
PY
}
got=$(feed_pages aud "$S1" 2)
if [ "$(echo "$got" | grep -v '^pages')" = "$(actions aud "$S1")" ] &&
	[ "$(echo "$got" | grep -c '^pages')" = 1 ] &&
	[ "$(echo "$got" | grep '^pages' | cut -d' ' -f2)" -ge 3 ]; then
	pass "aud's feed in pages of two equals what its subscription got"
else
	fail "feed_read pages: $got / subscription: $(actions aud "$S1" | tr '\n' ' ')"
fi
got=$(feed_pages south "$S1" 500 | grep -v '^pages' | tr '\n' ' ')
# The final approval of East's candidate graded its customer, which south
# sees (customer.grade), though not the candidate.
[ "$got" = "candidate.score:$CAND_S customer.grade:$CUST_E customer.update:$CUST_E " ] &&
	pass "south pulls only what it may see (none of East's candidates)" ||
	fail "south pulled '$got', want its candidate's score and the customer's grade and update"
got=$(feed_pages east "$S1" 500 RAWPEER_FILTER=my_queue | grep -v '^pages')
[ -z "$got" ] && pass "east's queue had nothing" || fail "east's queue: $got"
run env RAWPEER_AFTER=1 "$RAWPEER" feed-read 127.0.0.1 "$PORT" "$(key_of aud)"
expect_rc 0 "feed-read"
expect_out '"resync_required":true' "feed_read from beyond the window needs a resync"
expect_out '"events":[]' "and returns no events"

note "heartbeats, the silence limit, no idle timeout while subscribed"
while e2e_alive "${WATCH_PID[pinger]}"; do sleep 0.5; done
unwatch pinger
if ! grep -q '"closed"' "$E2E_TMP/watch.pinger" &&
	grep -q '"pong"' "$E2E_TMP/watch.pinger"; then
	pass "a subscriber pinging every 4 s outlives the 3 s idle timeout"
else
	fail "the pinging subscriber was closed: $(tail -3 "$E2E_TMP/watch.pinger")"
fi
wait_for "$E2E_TMP/watch.silent" '"closed"' 20 ||
	fail "the silent subscriber was not closed"
if python3 - "$E2E_TMP/watch.silent" <<'PY'; then
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
subscribed = next(m["received_ms"] for m in lines if "subscribed" in m)
closed = next(m["received_ms"] for m in lines if "closed" in m)
beats = sum("heartbeat" in m for m in lines)
print("%d heartbeats, closed after %d ms" % (beats, closed - subscribed))
assert beats >= 2, beats
assert 14500 <= closed - subscribed <= 20000, closed - subscribed
PY
	pass "the silent subscriber got heartbeats, then was closed after three intervals"
else
	fail "the silent subscriber: $(cat "$E2E_TMP/watch.silent")"
fi
e2e_has "$TIERD_LOG" "subscriber silent for three heartbeat intervals" &&
	pass "tierd logged why" || fail "tierd did not log the silence"
unwatch silent

note "a subscriber that does not read is cut off at the cap; others go on"
watch aud live
S2=$(head_of live)
env RAWPEER_SECONDS=120 RAWPEER_FILTER= "$RAWPEER" stall 127.0.0.1 "$PORT" \
	"$(key_of buvp)" >"$E2E_TMP/stall" 2>"$E2E_TMP/stall.err" &
STALL=$!
wait_for "$E2E_TMP/stall" '"subscribed"' 10 || die "the stalling subscriber did not subscribe"
# Each update's event carries five card fields of 990 CJK characters, some
# 15 KB: a handful pass the 64 KiB cap, which counts what waits in the
# kernel's send queue too.
BIG=$(python3 -c 'print("联系人" * 330)')
N=25
for i in $(seq 1 $N); do
	tier_as east customer update "$CUST_E" --contacts "$i $BIG" \
		--industry "$BIG" --region "$BIG" --size "$BIG" \
		--payment-terms "$BIG"
	[ "$RC" -eq 0 ] || fail "update $i: $(head -c 300 "$ERR")"
done
kill -USR1 "$STALL"
e2e_reap "$STALL" 30 || fail "the stalling subscriber did not finish"
expect_rc 0 "the stalling subscriber"
python3 - "$E2E_TMP/stall" <<'PY' && pass "the stalled subscriber got a Resync naming the cap, and its connection stayed up" || fail "stall: $(tail -1 "$E2E_TMP/stall")"
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])["stalled"]
assert s["resync"] and "64 KiB" in s["reason"], s
assert not s["events_after_resync"], s
assert s["pong"] and not s["closed"], s
assert 0 < s["events"] < 25, s
# The Resync names the head to resubscribe after: past every event sent.
assert s["resync_head"] > s["last_seq"], s
PY
sleep 1
n=$(actions live "$S2" | grep -c "customer.update:$CUST_E")
[ "$n" = "$N" ] && pass "the reading subscriber got all $N updates" ||
	fail "the reading subscriber got $n of $N updates"
e2e_has "$TIERD_LOG" "must resync" && pass "tierd logged the resync" ||
	fail "tierd did not log the resync"
unwatch live
# Past twice the cap, here by answers to pings it sent and never read, not
# even a Resync is queued: the connection is closed.
env RAWPEER_SECONDS=120 RAWPEER_FLOOD=6000 RAWPEER_FILTER= "$RAWPEER" stall \
	127.0.0.1 "$PORT" "$(key_of buvp)" >"$E2E_TMP/flood" \
	2>"$E2E_TMP/flood.err" &
STALL=$!
wait_for "$E2E_TMP/flood" '"subscribed"' 10 || die "the flooding subscriber did not subscribe"
sleep 1
tier_as east customer update "$CUST_E" --region Hangzhou
expect_rc 0 "a change while the flooding subscriber's buffer is full"
wait_for "$TIERD_LOG" "subscriber too slow" 10 &&
	pass "tierd closed the subscriber that was past twice the cap" ||
	fail "tierd did not close the subscriber past twice the cap"
kill -USR1 "$STALL"
e2e_reap "$STALL" 30 || fail "the flooding subscriber did not finish"
e2e_has "$E2E_TMP/flood" '"closed":true' && pass "it saw its connection end" ||
	fail "flood: $(tail -1 "$E2E_TMP/flood")"
expect_tierd_alive "after the slow subscribers"

note "a catch-up many times the cap arrives whole, paced by the reader"
LISTEN=$SERVER tierd_config "idle_timeout = 3" "[feed]" "max_buffer = 65536" \
	"resume_window = 1000" "escalation_check = 1" "step_limit_scale = 1"
kill -HUP "$TIERD_PID"
wait_for "$TIERD_LOG" "configuration reloaded" 5 || fail "tierd did not reload"
watch aud catchup "RAWPEER_AFTER=$S2" RAWPEER_FILTER=segment=East
watch aud catchup_all "RAWPEER_AFTER=$S2"
tier_as root org add segment Far --parent Pumps
wait_for "$E2E_TMP/watch.catchup_all" '"unit.add"' 20 ||
	fail "the catch-up did not reach the live entry after it"
n=$(actions catchup_all "$S2" | grep -c "customer.update:$CUST_E")
[ "$n" = "$((N + 1))" ] &&
	pass "all $((N + 1)) updates (about 375 KB) were caught up through a 64 KiB cap" ||
	fail "caught up $n of $((N + 1)) updates"
e2e_has "$E2E_TMP/watch.catchup_all" '"resync"' &&
	fail "the catch-up was told to resync" || pass "without a resync"
feed_check catchup_all "$S2" "customer:$CUST_E" unit
feed_check catchup "$S2"
unwatch catchup catchup_all

note "escalation of an overdue step, to the step's role and the next up"
tier_as buvp --output json cycle create --bu Drives --year 2028
CY2=$(json_get cycle.id)
tier_as buvp cycle set "$CY2" --min-score 0 --chain strategic=bu_vp,bg_vp --step-limit 2
expect_rc 0 "buvp sets a 2-hour step limit (2 s here)"
tier_as buvp criteria set "$CY2" --criterion 'reach:100:0-10'
tier_as buvp cycle open "$CY2"
tier_as east --output json candidate propose --cycle "$CY2" --segment East --customer "$CUST_E"
CAND_X=$(json_get candidate.id)
tier_as east candidate score "$CAND_X" reach=10
[ -n "$CAND_X" ] || die "no candidate for the escalation"
watch buvp esc_bu
watch bgvp esc_bg RAWPEER_FILTER=my_queue
watch east esc_east
watch aud esc_aud
tier_as east candidate submit "$CAND_X" --tier strategic --owner acct
expect_rc 0 "east submits"
wait_for "$E2E_TMP/watch.esc_bu" '"candidate.escalate"' 10 ||
	fail "buvp was not told of the overdue step"
wait_for "$E2E_TMP/watch.esc_bg" '"candidate.escalate"' 5 ||
	fail "bgvp (the next role up) was not told"
sleep 3 # several more checks: still one escalation per step
python3 - "$E2E_TMP/watch.esc_bu" "$CAND_X" <<'PY' && pass "one escalation, by the server, naming bu_vp and bg_vp" || fail "escalation event: $(grep escalate "$E2E_TMP/watch.esc_bu")"
import json, sys
evs = [json.loads(l)["event"] for l in open(sys.argv[1]) if '"candidate.escalate"' in l]
assert len(evs) == 1, evs
e = evs[0]
assert e["entity_id"] == int(sys.argv[2]), e
assert e["user"] == "" and e["notify_roles"] == ["bu_vp", "bg_vp"], e
assert e["reason"].startswith("step 1 (bu_vp) pending for ") and e["reason"].endswith("limit 2h"), e
assert e["candidate"]["state"] == "pending", e
PY
for tag in esc_east esc_aud; do
	e2e_has "$E2E_TMP/watch.$tag" "candidate.escalate" &&
		fail "$tag was told of an escalation not meant for its role" ||
		pass "$tag was not told"
done
tier_as buvp candidate approve "$CAND_X"
expect_rc 0 "buvp approves step 1; step 2 waits for the BG VP"
wait_for "$E2E_TMP/watch.esc_bg" '"reason":"step 2 (bg_vp)' 10 &&
	pass "the BG VP's overdue step is escalated to bg_vp" ||
	fail "step 2 was not escalated: $(grep escalate "$E2E_TMP/watch.esc_bg")"
sleep 0.5
n=$(grep -c '"candidate.escalate"' "$E2E_TMP/watch.esc_bu")
[ "$n" = 1 ] && pass "bu_vp is not told of the bg_vp step" ||
	fail "buvp heard $n escalations, want 1"
tier_as aud --output json audit show candidate "$CAND_X"
expect_out "candidate.escalate" "the escalation is in the audit log"
tier_as aud audit verify
expect_rc 0 "the audit log still verifies"
unwatch esc_bu esc_bg esc_east esc_aud

expect_tierd_alive "at the end"
tierd_stop
finish
