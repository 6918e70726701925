# End to end: --watch on the list commands. Several watchers, each as its
# own user, print a committed change within a second, and only the changes
# their scope and filter allow; output that is not a terminal is JSON lines
# (the list, then one {"event": ...} per change) and a terminal gets plain
# lines. A watcher killed with -9 and started again resumes from its saved
# position, printing every change it missed and none twice; --fresh and
# --since override the saved position, and a position older than the server
# keeps makes it list afresh. Escalations reach the queue watches of the
# roles they notify. When tierd stops and comes back, running watchers
# reconnect and resume by themselves.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

WATCHERS=() # pids of the tier --watch processes started here

watch_cleanup() {
	local p
	for p in "${WATCHERS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	e2e_cleanup
}
trap watch_cleanup EXIT

WDIR=$E2E_TMP/watch
mkdir -p "$WDIR"

# start_watch NAME PERSON ARGS...: runs "tier ARGS" as PERSON in the
# background, stdout to $WDIR/NAME.out (not a terminal: JSON lines), stderr
# to $WDIR/NAME.err; sets WPID.
start_watch() {
	local name=$1 who=$2
	shift 2
	TIER_CONFIG_DIR=$(person_dir "$who") "$TIER" --server "$SERVER" "$@" \
		</dev/null >>"$WDIR/$name.out" 2>>"$WDIR/$name.err" &
	WPID=$!
	WATCHERS+=("$WPID")
}

# stop_watch PID: kills a watcher as a crash would.
stop_watch() {
	{
		kill -KILL "$1"
		wait "$1"
	} 2>/dev/null
}

# wait_lines FILE N [SECONDS]: waits until FILE has at least N lines.
wait_lines() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_grep FILE TEXT [SECONDS]: waits until FILE contains TEXT.
wait_grep() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# event_seqs FILE: the seq of every event line in FILE, one per line, in
# file order. (grep, not a JSON parser: it runs often, and each line starts
# {"event":{"seq":N, as watch prints it.)
event_seqs() {
	grep -oE '^\{"event":\{"seq":[0-9]+' "$1" | grep -oE '[0-9]+$'
}

# last_seq ENTITY ID: the seq of the newest audit entry of a record.
last_seq() {
	tier_as aud --output json audit show "$1" "$2"
	grep -oE '^      "seq": [0-9]+' "$OUT" | tail -n 1 | grep -oE '[0-9]+$'
}

# first_id: the first "id" in the JSON document on stdout of the last
# command (the record a command created).
first_id() {
	grep -m 1 -oE '"id": [0-9]+' "$OUT" | grep -oE '[0-9]+$'
}

# expect_event FILE SEQ WHAT: FILE has an event line with that seq.
expect_event() {
	if event_seqs "$1" | grep -qx "$2"; then
		pass "$3"
	else
		fail "$3: no event #$2 in $1: $(tail -n 3 "$1")"
	fi
}

# expect_no_event FILE SEQ WHAT
expect_no_event() {
	if event_seqs "$1" | grep -qx "$2"; then
		fail "$3: event #$2 is in $1"
	else
		pass "$3"
	fi
}

# wait_event FILE SEQ SECONDS [SINCE_MS]: waits until FILE has the event;
# prints the milliseconds from SINCE_MS (default: now) until it was seen.
wait_event() {
	local start=${4:-$(date +%s%3N)} i
	for i in $(seq 1 $(($3 * 100))); do
		if grep -qF "{\"event\":{\"seq\":$2," "$1" 2>/dev/null; then
			echo $(($(date +%s%3N) - start))
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# Escalation in seconds: a policy "hour" lasts one second here.
TIERD_EXTRA=("[feed]" "escalation_check = 1" "step_limit_scale = 1")
tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation, people, a cycle with candidates"
for unit in "bg Industrial" "bu Drives --parent Industrial" \
	"segment 华东 --parent Drives" "segment 华南 --parent Drives" \
	"bu Pumps --parent Industrial" "segment West --parent Pumps"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	[ "$RC" -eq 0 ] || die "org add $unit: $(cat "$ERR")"
done
add_person root buvp bu_vp bu:Drives
add_person root bgvp bg_vp bg:Industrial
add_person root segmgr segment_mgr 'segments:华东,华南'
add_person root eastmgr segment_mgr 'segments:华东'
add_person root pumpmgr segment_mgr segments:West
add_person root aud auditor

tier_as buvp --output json cycle create --bu Drives --year 2027
CYCLE=$(json_get cycle.id)
[ -n "$CYCLE" ] || die "no cycle: $(cat "$ERR")"
tier_as buvp criteria set "$CYCLE" --criterion 'fit:100:0-10:fit'
tier_as buvp cycle open "$CYCLE"
expect_rc 0 "the Drives cycle is open"

# add_candidate NAME SEGMENT: a customer and its candidate; sets CAND.
add_candidate() {
	tier_as segmgr --output json customer add --bu Drives "$1"
	local cust
	cust=$(first_id)
	[ -n "$cust" ] || die "customer $1 not added: $(cat "$ERR")"
	tier_as segmgr --output json candidate propose --cycle "$CYCLE" \
		--segment "$2" --customer "$cust"
	CAND=$(first_id)
	[ -n "$CAND" ] || die "candidate for $1 not proposed: $(cat "$ERR")"
}
add_candidate 'ACME 传动有限公司' 华东
CA=$CAND
add_candidate 'Borealis Motors' 华东
CB=$CAND
add_candidate '南方泵业' 华南
CS=$CAND
pass "three candidates proposed"

note "several watchers, each as its own user"
start_watch buvp buvp candidate list --cycle "$CYCLE" --watch
P_BUVP=$WPID
start_watch bgvp bgvp candidate list --cycle "$CYCLE" --watch
P_BGVP=$WPID
start_watch east eastmgr candidate list --cycle "$CYCLE" --watch
P_EAST=$WPID
start_watch seg segmgr candidate list --cycle "$CYCLE" --segment 华南 --watch
P_SEG=$WPID
start_watch pumps pumpmgr cycle list --watch
P_PUMPS=$WPID
start_watch queue buvp queue --watch
P_QUEUE=$WPID
start_watch bgqueue bgvp queue --watch
P_BGQUEUE=$WPID
for w in buvp bgvp east seg pumps queue bgqueue; do
	wait_lines "$WDIR/$w.out" 1 10 || die "watcher $w printed no list: $(cat "$WDIR/$w.err")"
done
pass "every watcher printed its list"

note "JSON lines: the list first"
python3 - "$WDIR/buvp.out" <<'PY' && pass "the first line is the candidate list, on one line" || fail "the first line is not the list: $(head -n 1 "$WDIR/buvp.out")"
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
assert d["total"] == 3 and len(d["candidates"]) == 3
PY
python3 - "$WDIR/east.out" <<'PY' && pass "the 华东-only manager's list holds two candidates" || fail "east list: $(head -n 1 "$WDIR/east.out")"
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
assert sorted(c["segment"] for c in d["candidates"]) == ["华东", "华东"]
PY

note "a change reaches every watcher that may see it, quickly"
tier_as segmgr candidate score "$CA" fit=9
T_DONE=$(date +%s%3N)
# The time counts from the moment the change was acknowledged; the watchers
# are looked at together, so the slowest one bounds it.
SEEN=""
for i in $(seq 1 500); do
	for w in buvp bgvp east; do
		case " $SEEN " in *" $w "*) continue ;; esac
		if grep -qF "\"action\":\"candidate.score\",\"entity\":\"candidate\",\"entity_id\":$CA," "$WDIR/$w.out"; then
			SEEN="$SEEN $w"
			eval "MS_$w=$(($(date +%s%3N) - T_DONE))"
		fi
	done
	[ "$(echo $SEEN | wc -w)" -eq 3 ] && break
	sleep 0.01
done
expect_rc 0 "segmgr scores ACME"
for w in buvp bgvp east; do
	ms=$(eval "echo \${MS_$w:-}")
	if [ -z "$ms" ]; then
		fail "watcher $w did not print the change within 5 s: $(tail -n 2 "$WDIR/$w.out")"
	elif [ "$ms" -lt 1000 ]; then
		pass "watcher $w printed the change within $ms ms"
	else
		fail "watcher $w printed the change only after $ms ms"
	fi
done
S1=$(last_seq candidate "$CA")
expect_event "$WDIR/buvp.out" "$S1" "the event carries the change's seq (#$S1)"
python3 - "$WDIR/bgvp.out" "$S1" "$CA" <<'PY' && pass "the event line carries seq, user, action and the candidate as it is now" || fail "event line: $(tail -n 1 "$WDIR/bgvp.out")"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    if "event" in d and d["event"]["seq"] == int(sys.argv[2]):
        ev = d["event"]
        assert ev["user"] == "segmgr", ev
        assert ev["action"] == "candidate.score", ev
        assert ev["entity"] == "candidate" and ev["entity_id"] == int(sys.argv[3]), ev
        assert ev["candidate"]["customer"] == "ACME 传动有限公司", ev
        assert ev["candidate"]["state"] == "scored", ev
        assert ev["at"].endswith("Z"), ev
        break
else:
    raise SystemExit("no event")
PY
if python3 -c '
import json, sys
for f in sys.argv[1:]:
    for n, line in enumerate(open(f, encoding="utf-8")):
        json.loads(line)
' "$WDIR"/buvp.out "$WDIR"/bgvp.out "$WDIR"/east.out "$WDIR"/seg.out "$WDIR"/pumps.out "$WDIR"/queue.out; then
	pass "every line every watcher printed is one JSON document"
else
	fail "a watcher printed a line that is not JSON"
fi

note "filters and scope"
tier_as segmgr candidate score "$CS" fit=8
expect_rc 0 "segmgr scores the 华南 candidate"
S2=$(last_seq candidate "$CS")
wait_event "$WDIR/seg.out" "$S2" 5 >/dev/null &&
	pass "the 华南 watcher printed the 华南 change" ||
	fail "the 华南 watcher missed change #$S2"
wait_event "$WDIR/buvp.out" "$S2" 5 >/dev/null &&
	pass "the BU VP printed the 华南 change" ||
	fail "the BU VP missed change #$S2"
sleep 0.5
expect_no_event "$WDIR/east.out" "$S2" "the 华东-only manager never sees the 华南 change"
expect_no_event "$WDIR/seg.out" "$S1" "the --segment 华南 watcher did not print the 华东 change"
if event_seqs "$WDIR/pumps.out" | grep -q .; then
	fail "the Pumps manager's cycle watch printed Drives events: $(cat "$WDIR/pumps.out")"
else
	pass "the Pumps manager's cycle watch printed nothing of Drives"
fi
if grep -q '南方泵业' "$WDIR/east.out"; then
	fail "the 华南 customer's name reached the 华东-only watcher"
else
	pass "no trace of the 华南 candidate in the 华东-only watcher's output"
fi

note "queue --watch: candidates entering the BU VP's queue"
tier_as segmgr candidate score "$CB" fit=8
tier_as segmgr candidate submit "$CB" --tier key --owner segmgr
expect_rc 0 "segmgr submits Borealis (key: approved by bu_vp)"
S3=$(last_seq candidate "$CB")
wait_event "$WDIR/queue.out" "$S3" 5 >/dev/null &&
	pass "the BU VP's queue watch printed Borealis entering the queue" ||
	fail "the queue watch missed #$S3: $(cat "$WDIR/queue.out")"
S_SCORE_B=$(tier_as aud --output json audit show candidate "$CB"; grep -B 3 '"action": "candidate.score"' "$OUT" | grep -oE '"seq": [0-9]+' | tail -n 1 | grep -oE '[0-9]+$')
expect_no_event "$WDIR/queue.out" "$S_SCORE_B" "scoring (no queue involved) is not in the queue watch"

note "a watcher killed with -9 resumes without loss or repetition"
wait_event "$WDIR/buvp.out" "$S3" 5 >/dev/null || fail "buvp watcher missed #$S3"
stop_watch "$P_BUVP"
STATE=$(ls "$HOME/.local/state/tier/watch/" 2>/dev/null | grep "^127.0.0.1_$PORT-" | head -n 1)
[ -n "$STATE" ] && pass "watch positions are saved under ~/.local/state/tier/watch ($STATE)" ||
	fail "no saved position under $HOME/.local/state/tier/watch: $(ls -R "$HOME/.local" 2>&1)"
cp "$WDIR/buvp.out" "$WDIR/buvp1.out"
tier_as buvp candidate approve "$CB"
expect_rc 0 "buvp approves Borealis while its watcher is down"
tier_as segmgr candidate submit "$CA" --tier key --owner segmgr --justification 'strategic later'
expect_rc_in "0 9" "segmgr submits ACME"
tier_as segmgr candidate score "$CS" fit=9
expect_rc 0 "segmgr rescores the 华南 candidate"
S4=$(last_seq candidate "$CS")
wait_event "$WDIR/bgvp.out" "$S4" 5 >/dev/null || fail "bgvp missed #$S4"
: >"$WDIR/buvp.out"
start_watch buvp buvp candidate list --cycle "$CYCLE" --watch
P_BUVP=$WPID
wait_event "$WDIR/buvp.out" "$S4" 10 >/dev/null &&
	pass "the restarted watcher caught up to #$S4" ||
	fail "the restarted watcher did not print #$S4: $(cat "$WDIR/buvp.err")"
sleep 0.5
python3 - "$WDIR/buvp1.out" "$WDIR/buvp.out" "$WDIR/bgvp.out" <<'PY' && pass "first run + second run = every change, none twice" || fail "resume lost or repeated changes"
import json, sys
def seqs(f):
    out = []
    for line in open(f, encoding="utf-8"):
        d = json.loads(line)
        if "event" in d:
            out.append(d["event"]["seq"])
    return out
a, b, ref = seqs(sys.argv[1]), seqs(sys.argv[2]), seqs(sys.argv[3])
print("first run:", a, "second run:", b, "reference:", ref)
assert not set(a) & set(b), "repeated"
assert a + b == ref, "lost or out of order"
assert b == sorted(b) and len(b) >= 3
PY
head -n 1 "$WDIR/buvp.out" | grep -q '"candidates"' &&
	pass "the restarted watcher printed the current list first" ||
	fail "the restarted watcher did not start with the list"

note "--fresh and --since"
stop_watch "$P_BUVP"
tier_as segmgr candidate score "$CS" fit=7
S5=$(last_seq candidate "$CS")
start_watch fresh buvp candidate list --cycle "$CYCLE" --watch --fresh
P_FRESH=$WPID
wait_lines "$WDIR/fresh.out" 1 10 || fail "the --fresh watcher printed no list"
sleep 1
expect_no_event "$WDIR/fresh.out" "$S5" "--fresh skips the change made while no watcher ran"
tier_as segmgr candidate score "$CS" fit=6
S6=$(last_seq candidate "$CS")
wait_event "$WDIR/fresh.out" "$S6" 5 >/dev/null &&
	pass "the --fresh watcher prints new changes" ||
	fail "the --fresh watcher missed #$S6"
stop_watch "$P_FRESH"
export TIER_STATE_DIR=$E2E_TMP/state-since
start_watch since buvp candidate list --cycle "$CYCLE" --watch --since "$S3"
P_SINCE=$WPID
wait_event "$WDIR/since.out" "$S6" 10 >/dev/null &&
	pass "--since $S3 prints the changes after it" ||
	fail "--since $S3 did not reach #$S6: $(cat "$WDIR/since.err")"
expect_no_event "$WDIR/since.out" "$S3" "--since SEQ starts after SEQ"
expect_event "$WDIR/since.out" "$S4" "--since $S3 includes #$S4"
ls "$TIER_STATE_DIR/watch/" 2>/dev/null | grep -q "^127.0.0.1_$PORT-" &&
	pass "TIER_STATE_DIR replaces the state directory" ||
	fail "nothing saved under TIER_STATE_DIR"
stop_watch "$P_SINCE"
unset TIER_STATE_DIR
run_as buvp --server "$SERVER" candidate list --cycle "$CYCLE" --since 5
expect_rc 2 "--since without --watch is a usage error"
run_as buvp --server "$SERVER" candidate list --cycle "$CYCLE" --watch --since 5 --fresh
expect_rc 2 "--since with --fresh is a usage error"
run_as buvp --server "$SERVER" candidate list --cycle "$CYCLE" --watch --since 99999999
expect_rc 2 "--since after the newest change is refused"
expect_err "newest change" "and the error says why"

note "escalation reaches the approver's and the next role's queue watch"
tier_as buvp --output json cycle create --bu Drives --year 2028
CYCLE1=$CYCLE
CYCLE=$(json_get cycle.id)
tier_as buvp cycle set "$CYCLE" --step-limit 1
tier_as buvp criteria set "$CYCLE" --criterion 'fit:100:0-10:fit'
tier_as buvp cycle open "$CYCLE"
expect_rc 0 "a 2028 cycle whose steps may wait one hour (here: a second)"
add_candidate 'Echo 回声' 华东
CE=$CAND
tier_as segmgr candidate score "$CE" fit=8
tier_as segmgr candidate submit "$CE" --tier key --owner segmgr
expect_rc 0 "Echo is submitted"
CYCLE=$CYCLE1
if wait_grep "$WDIR/bgqueue.out" "\"action\":\"candidate.escalate\",\"entity\":\"candidate\",\"entity_id\":$CE," 15; then
	pass "the BG VP's queue watch printed the escalation"
else
	fail "no escalation in the BG VP's queue watch: $(tail -n 3 "$WDIR/bgqueue.out")"
fi
python3 - "$WDIR/bgqueue.out" "$CE" <<'PY' && pass "the escalation names bu_vp and bg_vp, and says why" || fail "escalation event: $(grep escalate "$WDIR/bgqueue.out" | head -n 1)"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    ev = json.loads(line).get("event")
    if ev and ev["action"] == "candidate.escalate" and ev["entity_id"] == int(sys.argv[2]):
        assert ev["notify_roles"] == ["bu_vp", "bg_vp"], ev
        assert ev["user"] == "", ev
        assert "limit" in ev["reason"], ev
        break
else:
    raise SystemExit(1)
PY
wait_grep "$WDIR/queue.out" "\"action\":\"candidate.escalate\",\"entity\":\"candidate\",\"entity_id\":$CE," 5 &&
	pass "so did the BU VP's" || fail "no escalation in the BU VP's queue watch"
if grep -q '"candidate.escalate"' "$WDIR/east.out" "$WDIR/seg.out"; then
	fail "an escalation reached a segment manager's watch about another cycle"
else
	pass "watches of the 2027 cycle did not get the 2028 escalation"
fi

note "tierd stops and comes back: watchers reconnect and resume"
tierd_stop
tier_as segmgr candidate score "$CS" fit=5
expect_rc 3 "no changes while tierd is down"
sleep 1.5
tierd_restart_same_port
tier_as segmgr candidate score "$CS" fit=4
expect_rc 0 "a change after the restart"
S7=$(last_seq candidate "$CS")
for w in bgvp seg; do
	wait_event "$WDIR/$w.out" "$S7" 40 >/dev/null &&
		pass "watcher $w reconnected and printed #$S7" ||
		fail "watcher $w did not print #$S7 after the restart: $(tail -n 5 "$WDIR/$w.err")"
	expect_err_file="$WDIR/$w.err"
	grep -q "reconnecting" "$expect_err_file" && pass "watcher $w said it was reconnecting" ||
		fail "watcher $w did not say it was reconnecting: $(cat "$expect_err_file")"
done
python3 - "$WDIR/bgvp.out" <<'PY' && pass "no change printed twice across the reconnection" || fail "the reconnected watcher repeated a change"
import json, sys
s = [json.loads(l)["event"]["seq"] for l in open(sys.argv[1], encoding="utf-8") if '"event"' in l]
assert len(s) == len(set(s)) and s == sorted(s), s
PY
for p in $P_BGVP $P_EAST $P_SEG $P_PUMPS $P_QUEUE $P_BGQUEUE; do
	e2e_alive "$p" || fail "watcher $p ended by itself"
done

note "on a terminal: plain lines"
tier_as segmgr --output json candidate show "$CA"
S_NOW=$(last_seq candidate "$CS")
TIER_CONFIG_DIR=$(person_dir bgvp) TIER_STATE_DIR=$E2E_TMP/state-tty \
	timeout 6 script -qfec "$TIER --server $SERVER candidate list --cycle $CYCLE --watch --since $S1" \
	/dev/null >"$WDIR/tty.out" 2>&1 </dev/null
if grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +#$S2 +segmgr +score candidate $CS: 南方泵业 \(华南, Drives 2027\) now " "$WDIR/tty.out"; then
	pass "a terminal gets one plain line per change"
else
	fail "no plain event line for #$S2 on the terminal: $(cat -v "$WDIR/tty.out" | head -n 20)"
fi
grep -q "ACME 传动有限公司" "$WDIR/tty.out" && pass "the list is a table on a terminal" ||
	fail "no table on the terminal"
grep -q '{"event"' "$WDIR/tty.out" && fail "JSON on a terminal" || pass "no JSON on a terminal"

note "a position older than the server keeps: list afresh, then follow"
tierd_stop
TIERD_EXTRA+=("resume_window = 3")
tierd_restart_same_port
: >"$WDIR/old.out"
export TIER_STATE_DIR=$E2E_TMP/state-old
start_watch old buvp candidate list --cycle "$CYCLE" --watch
P_OLD=$WPID
wait_lines "$WDIR/old.out" 1 10 || fail "the watcher printed no list"
stop_watch "$P_OLD"
for v in 1 2 3 4 5; do
	tier_as segmgr candidate score "$CS" fit=$v
done
S8=$(last_seq candidate "$CS")
: >"$WDIR/old.out"
start_watch old buvp candidate list --cycle "$CYCLE" --watch
P_OLD=$WPID
wait_lines "$WDIR/old.out" 1 10 || fail "the restarted watcher printed no list"
wait_grep "$WDIR/old.err" "no longer kept" 10 &&
	pass "the watcher says the changes it missed are no longer kept" ||
	fail "no word about the lost position: $(cat "$WDIR/old.err")"
python3 - "$WDIR/old.out" <<'PY' && pass "and prints the current list instead" || fail "no current list: $(head -c 300 "$WDIR/old.out")"
import json, sys
d = json.loads(open(sys.argv[1], encoding="utf-8").readline())
c = [c for c in d["candidates"] if c["customer"] == "南方泵业"][0]
assert c["score"] == 50, c
PY
expect_no_event "$WDIR/old.out" "$S8" "the changes already in the list are not repeated"
tier_as segmgr candidate score "$CS" fit=6
S9=$(last_seq candidate "$CS")
wait_event "$WDIR/old.out" "$S9" 5 >/dev/null &&
	pass "then it follows new changes" ||
	fail "the watcher missed #$S9 after the fresh list"
stop_watch "$P_OLD"
unset TIER_STATE_DIR

expect_tierd_alive "after every watcher"
finish
