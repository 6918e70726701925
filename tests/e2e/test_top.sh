# End to end: tier top, run inside tmux and read back with capture-pane.
# Pending candidates appear grouped by approver role and segment, Chinese
# and Latin names aligned by display width; an approval made by another
# client makes a row disappear; approve and reject (with a reason typed at
# the prompt) work from the keyboard; the filter narrows the rows; the view
# redraws on resize; "reconnecting…" shows while tierd is stopped and goes
# once it is back; q and SIGTERM both leave the terminal as it was.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

command -v tmux >/dev/null || die "tmux is missing (deploy/install-deps.sh installs it)"

TMUX_SOCK=tier-e2e-top-$$ # a tmux server of our own
tmux_() {
	TERM=xterm tmux -u -L "$TMUX_SOCK" -f /dev/null "$@"
}

top_cleanup() {
	tmux_ kill-server 2>/dev/null
	e2e_cleanup
}
trap top_cleanup EXIT

# start_top NAME PERSON [COLS ROWS]: runs tier top as PERSON in a detached
# tmux session NAME. After top ends, the pane shows "EXITED <status>" and
# whether the terminal is back in canonical mode with echo.
start_top() {
	local name=$1 who=$2 cols=${3:-130} rows=${4:-30}
	tmux_ new-session -d -s "$name" -x "$cols" -y "$rows" \
		"sh -c 'echo \$\$ >$E2E_TMP/$name.pid; exec env TIER_CONFIG_DIR=$(person_dir "$who") LANG=C.UTF-8 TERM=screen $TIER --server $SERVER top'; echo EXITED \$?; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)\$' | tr '\\n' ' '; echo; sleep 300"
}

# screen NAME: what the session shows now.
screen() {
	tmux_ capture-pane -p -t "$1" 2>/dev/null
}

# wait_screen NAME TEXT [SECONDS]: waits until TEXT is on the screen.
wait_screen() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		screen "$1" | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# wait_gone NAME TEXT [SECONDS]: waits until TEXT is no longer on screen.
wait_gone() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		screen "$1" | grep -qF -- "$2" || return 0
		sleep 0.1
	done
	return 1
}

# wait_no_row NAME ID [SECONDS]: waits until no row shows candidate ID (the
# status line may still name it).
wait_no_row() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		screen "$1" | grep -qE "^...$2 " || return 0
		sleep 0.1
	done
	return 1
}

# expect_no_row NAME ID WHAT [SECONDS]
expect_no_row() {
	if wait_no_row "$1" "$2" "${4:-10}"; then
		pass "$3"
	else
		fail "$3: candidate $2 still has a row:"
		screen "$1" | sed 's/^/      | /'
	fi
}

# wait_screen_re NAME REGEX [SECONDS]: waits until a line matches REGEX.
wait_screen_re() {
	local i
	for i in $(seq 1 $((${3:-10} * 10))); do
		screen "$1" | grep -qE -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# wait_modes NAME: waits for the line start_top prints after the view ends,
# the terminal's icanon and echo modes; it follows "EXITED" a moment later.
wait_modes() {
	wait_screen_re "$1" "^-?icanon -?echo" 5
}

# expect_screen NAME TEXT WHAT [SECONDS]
expect_screen() {
	if wait_screen "$1" "$2" "${4:-10}"; then
		pass "$3"
	else
		fail "$3: '$2' is not on the screen:"
		screen "$1" | sed 's/^/      | /'
	fi
}

# expect_gone NAME TEXT WHAT [SECONDS]
expect_gone() {
	if wait_gone "$1" "$2" "${4:-10}"; then
		pass "$3"
	else
		fail "$3: '$2' is still on the screen:"
		screen "$1" | sed 's/^/      | /'
	fi
}

# first_id: the first "id" in the JSON document on stdout of the last
# command (the record a command created).
first_id() {
	grep -m 1 -oE '"id": [0-9]+' "$OUT" | grep -oE '[0-9]+$'
}

# keys NAME KEYS...: types into the session.
keys() {
	local name=$1
	shift
	tmux_ send-keys -t "$name" "$@"
}

# Escalation in seconds: a policy "hour" lasts one second here.
TIERD_EXTRA=("[feed]" "escalation_check = 1" "step_limit_scale = 1")
tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation, people, candidates waiting for approval"
for unit in "bg Industrial" "bu Drives --parent Industrial" \
	"segment 华东 --parent Drives" "segment 华南 --parent Drives"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	[ "$RC" -eq 0 ] || die "org add $unit: $(cat "$ERR")"
done
add_person root buvp bu_vp bu:Drives
add_person root bgvp bg_vp bg:Industrial
add_person root segmgr segment_mgr 'segments:华东,华南'
tier_as buvp --output json cycle create --bu Drives --year 2027
CYCLE=$(json_get cycle.id)
[ -n "$CYCLE" ] || die "no cycle: $(cat "$ERR")"
tier_as buvp criteria set "$CYCLE" --criterion 'fit:100:0-10:fit'
tier_as buvp cycle open "$CYCLE"
expect_rc 0 "the cycle is open"

# pending NAME SEGMENT SCORE TIER: a customer, its candidate, scored and
# submitted with TIER; sets CAND.
pending() {
	tier_as segmgr --output json customer add --bu Drives "$1"
	local cust
	cust=$(first_id)
	[ -n "$cust" ] || die "customer $1 not added: $(cat "$ERR")"
	tier_as segmgr --output json candidate propose --cycle "$CYCLE" \
		--segment "$2" --customer "$cust"
	CAND=$(first_id)
	[ -n "$CAND" ] || die "candidate for $1 not proposed: $(cat "$ERR")"
	tier_as segmgr candidate score "$CAND" fit="$3"
	[ "$RC" -eq 0 ] || die "candidate $CAND not scored: $(cat "$ERR")"
	tier_as segmgr candidate submit "$CAND" --tier "$4" --owner segmgr \
		--justification 'as planned'
	[ "$RC" -eq 0 ] || die "candidate $CAND not submitted: $(cat "$ERR")"
}
pending 'ACME 传动有限公司' 华东 8 key
C_ACME=$CAND
pending 'Borealis Motors' 华东 9 strategic
C_BOREALIS=$CAND
pending '南方泵业' 华南 7 key
C_SOUTH=$CAND
pending 'Cirrus Tools' 华南 6 general
C_CIRRUS=$CAND
pass "four candidates wait for the BU VP"

note "the view"
start_top top buvp
expect_screen top "ACME 传动有限公司" "a pending candidate appears"
expect_screen top "Borealis Motors" "and the others"
expect_screen top "bu_vp · 华东 (2)" "rows are grouped by approver role and segment"
expect_screen top "bu_vp · 华南 (2)" "one group per segment"
expect_screen top "4 pending, 4 yours" "the headline counts the rows and the user's own"
screen top >"$E2E_TMP/screen1"
# The column after the customer starts at the same display column on
# every row, whatever the script of the name.
if python3 - "$E2E_TMP/screen1" <<'PY'; then
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
cols = set()
for line in open(sys.argv[1], encoding="utf-8"):
    for name in ("ACME 传动有限公司", "Borealis Motors", "南方泵业", "Cirrus Tools"):
        if name in line:
            for tier in (" key ", " strategic ", " general "):
                i = line.find(tier, line.find(name) + len(name))
                if i >= 0:
                    cols.add(width(line[: i + 1]))
                    break
print("tier column at", cols)
assert len(cols) == 1, cols
PY
	pass "Chinese and Latin names are padded by display width"
else
	fail "the columns do not line up:"
	sed 's/^/      | /' "$E2E_TMP/screen1"
fi

note "an approval from another client"
tier_as buvp candidate approve "$C_ACME"
expect_rc 0 "buvp approves ACME with the command line"
expect_no_row top "$C_ACME" "the approved candidate leaves the view" 5
expect_screen top "3 pending" "the headline follows"

note "keys: filter, approve, reject with a reason"
keys top / Borealis Enter
expect_screen top "filter: Borealis" "the filter shows in the headline"
expect_gone top "南方泵业" "the filter hides the rows that do not match"
keys top a
expect_screen top "approve $C_BOREALIS?" "a asks before approving"
keys top y
expect_screen top "bg_vp · 华东 (1)" "approved at step 1, Borealis now waits for the BG VP"
tier_as buvp --output json candidate show "$C_BOREALIS"
[ "$(json_get candidate.step)" = 1 ] && [ "$(json_get candidate.state)" = pending ] &&
	pass "the server recorded the approval of step 1" ||
	fail "Borealis is $(json_get candidate.state) at step $(json_get candidate.step)"
keys top / C-u Enter
expect_screen top "南方泵业" "an empty filter shows every row again"
keys top / Cirrus Enter
expect_screen top "Cirrus Tools" "filtered to Cirrus"
keys top r
expect_screen top "reason to reject $C_CIRRUS" "r asks for a reason"
keys top -l "too small for us"
keys top Enter
expect_no_row top "$C_CIRRUS" "the rejected candidate leaves the view"
tier_as buvp --output json candidate show "$C_CIRRUS"
[ "$(json_get candidate.state)" = rejected ] && [ "$(json_get candidate.reason)" = "too small for us" ] &&
	pass "rejected with the reason typed" ||
	fail "Cirrus is $(json_get candidate.state), reason '$(json_get candidate.reason)'"
keys top / C-u Enter
keys top Enter
expect_screen top "proposed by" "Enter shows the selected candidate in full"
keys top Escape
expect_gone top "proposed by" "Esc goes back"

note "resize"
tmux_ resize-window -t top -x 72 -y 16 2>/dev/null || tmux_ resize-pane -t top -x 72 -y 16
sleep 0.5
screen top >"$E2E_TMP/screen2"
if python3 - "$E2E_TMP/screen2" <<'PY' && grep -q "南方泵业" "$E2E_TMP/screen2" &&
import sys, unicodedata
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
assert max(w(l) for l in lines) <= 72
PY
	grep -q "q quit" "$E2E_TMP/screen2"; then
	pass "the view redraws for a 72x16 terminal"
else
	fail "the view did not redraw for 72x16:"
	sed 's/^/      | /' "$E2E_TMP/screen2"
fi
tmux_ resize-window -t top -x 130 -y 30 2>/dev/null || tmux_ resize-pane -t top -x 130 -y 30

note "tierd goes away and comes back"
tierd_stop
expect_screen top "reconnecting…" "the view says it is reconnecting" 5
sleep 2
tierd_restart_same_port
tier_as buvp candidate reject "$C_SOUTH" --reason 'lost the tender'
expect_rc 0 "a change while the view reconnects"
expect_gone top "reconnecting…" "the notice goes once tierd is back" 40
expect_no_row top "$C_SOUTH" "and the view caught up with the change it missed" 10
pending 'Delta 电机' 华东 8 key
expect_screen top "Delta 电机" "live again: a newly submitted candidate appears" 10

note "an overdue step is flagged"
CYCLE1=$CYCLE
tier_as buvp --output json cycle create --bu Drives --year 2028
CYCLE=$(json_get cycle.id)
[ -n "$CYCLE" ] || die "no 2028 cycle: $(cat "$ERR")"
tier_as buvp cycle set "$CYCLE" --step-limit 2
expect_rc 0 "the 2028 cycle allows a step 2 hours (here: seconds)"
tier_as buvp criteria set "$CYCLE" --criterion 'fit:100:0-10:fit'
tier_as buvp cycle open "$CYCLE"
pending 'Echo 回声' 华东 8 key
C_ECHO=$CAND
CYCLE=$CYCLE1
expect_screen top "Echo 回声" "the 2028 candidate appears"
if wait_screen_re top "^.!.$C_ECHO " 15; then
	pass "its row is flagged overdue once the step limit passes"
else
	fail "the overdue candidate is not flagged:"
	screen top | sed 's/^/      | /'
fi
if wait_screen_re top " [1-9][0-9]* overdue" 5; then
	pass "the headline counts overdue rows"
else
	fail "the headline counts no overdue row: $(screen top | head -n 1)"
fi

note "leaving"
keys top q
expect_screen top "EXITED 0" "q quits with status 0"
wait_modes top
if screen top | grep -q "EXITED" && screen top | grep -qE "(^| )icanon" && screen top | grep -qE "(^| )echo"; then
	pass "the terminal is back in canonical mode with echo"
else
	fail "the terminal was not restored:"
	screen top | sed 's/^/      | /'
fi
start_top term buvp
expect_screen term "Delta 电机" "a second view starts"
TOP_PID=$(cat "$E2E_TMP/term.pid")
kill -TERM "$TOP_PID"
expect_screen term "EXITED 143" "SIGTERM ends it"
wait_modes term
if screen term | grep -qE "(^| )icanon" && screen term | grep -qE "(^| )echo"; then
	pass "SIGTERM leaves the terminal restored"
else
	fail "SIGTERM left the terminal in raw mode:"
	screen term | sed 's/^/      | /'
fi
start_top int buvp
expect_screen int "Delta 电机" "a third view starts"
keys int C-c
expect_screen int "EXITED 130" "Ctrl-C ends it"
wait_modes int
screen int | grep -qE "(^| )icanon" && pass "Ctrl-C leaves the terminal restored" ||
	fail "Ctrl-C left the terminal in raw mode"

run "$TIER" --server "$SERVER" top
expect_rc 2 "tier top refuses to run without a terminal"
expect_err "terminal" "and says so"

expect_tierd_alive
finish
