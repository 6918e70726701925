# End to end: tier sync and --offline. A segment manager copies what it may
# see; the copy holds nothing of other segments or BUs (checked in the SQLite
# file itself); a second sync without changes is one request; changes made
# meanwhile arrive through the feed; with tierd stopped the offline list and
# show commands answer from the copy and say how old it is; a copy that fell
# behind the server's resume window is copied again.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# sync_as PERSON ARGS...: tier_as with the person's own local copy directory.
sync_as() {
	local who=$1
	shift
	TIER_DATA_DIR=$E2E_TMP/local/$who tier_as "$who" "$@"
}

# local_db PERSON: the person's local copy file.
local_db() {
	echo "$E2E_TMP/local/$1/127.0.0.1_$PORT.db"
}

# sql PERSON QUERY: runs a query on the person's local copy.
sql() {
	sqlite3 -readonly "$(local_db "$1")" "$2" 2>&1
}

# expect_sql PERSON QUERY WANT WHAT
expect_sql() {
	local got
	got=$(sql "$1" "$2")
	if [ "$got" = "$3" ]; then
		pass "$4"
	else
		fail "$4: '$2' gave '$got', want '$3'"
	fi
}

# expect_json_eq PATH WANT WHAT: a value of the last command's JSON output.
expect_json_eq() {
	local got
	got=$(json_get "$1")
	if [ "$got" = "$2" ]; then
		pass "$3"
	else
		fail "$3: $1 is '$got', want '$2'"
	fi
}

tierd_config
init_admin root
ROOT_CODE=$CODE
tierd_start
tier_as root enroll "$ROOT_CODE"
expect_rc 0 "root enrols"

note "two BUs, a segment manager in each segment"
for unit in "bg Industrial" "bu Drives --parent Industrial" \
	"segment 华东 --parent Drives" "segment 华南 --parent Drives" \
	"bu Pumps --parent Industrial" "segment West --parent Pumps"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	expect_rc 0 "org add $unit"
done
add_person root buvp bu_vp bu:Drives
add_person root east segment_mgr 'segments:华东'
add_person root south segment_mgr 'segments:华南'
add_person root pumpvp bu_vp bu:Pumps
add_person root pumpmgr segment_mgr segments:West

note "a cycle, customers and candidates in each BU"
tier_as buvp --output json cycle create --bu Drives --year 2027
DRIVES=$(json_get cycle.id)
tier_as buvp cycle set "$DRIVES" --quota 华东=4 --quota 华南=2
expect_rc 0 "buvp sets quotas"
tier_as buvp criteria set "$DRIVES" --criterion 'revenue:60:0-10' \
	--criterion 'fit:40:0-10'
expect_rc 0 "buvp sets the criteria"
tier_as buvp cycle open "$DRIVES"
expect_rc 0 "buvp opens the Drives cycle"
tier_as pumpvp --output json cycle create --bu Pumps --year 2027
PUMPS=$(json_get cycle.id)
tier_as pumpvp criteria set "$PUMPS" --criterion 'size:100:0-10'
tier_as pumpvp cycle open "$PUMPS"
expect_rc 0 "pumpvp opens the Pumps cycle"
[ -n "$DRIVES" ] && [ -n "$PUMPS" ] || die "cycles not created"

tier_as east --output json customer add --bu Drives 'ACME 传动有限公司'
ACME=$(json_get customer.id)
tier_as south --output json customer add --bu Drives 'Borealis Motors'
BOREALIS=$(json_get customer.id)
tier_as pumpmgr --output json customer add --bu Pumps 'PumpCo Hidden Works'
PUMPCO=$(json_get customer.id)
[ -n "$ACME" ] && [ -n "$BOREALIS" ] && [ -n "$PUMPCO" ] ||
	die "customers not created"
tier_as east --output json candidate propose --cycle "$DRIVES" \
	--segment 华东 --customer "$ACME"
CA=$(json_get candidate.id)
tier_as south --output json candidate propose --cycle "$DRIVES" \
	--segment 华南 --customer "$BOREALIS"
CB=$(json_get candidate.id)
tier_as pumpmgr --output json candidate propose --cycle "$PUMPS" \
	--segment West --customer "$PUMPCO"
CP=$(json_get candidate.id)
[ -n "$CA" ] && [ -n "$CB" ] && [ -n "$CP" ] || die "candidates not proposed"
tier_as south candidate reject "$CB" --reason 'SOUTHSECRET not for us'
expect_rc 0 "south rejects its own candidate, with a reason"

note "--offline before any sync"
sync_as east candidate list --cycle "$DRIVES" --offline
expect_rc 7 "offline without a local copy"
expect_err "no local copy for $SERVER; run tier sync" \
	"the error says there is no local copy and what to run"
sync_as east --output json customer show "$ACME" --offline
expect_rc 7 "offline show without a local copy"
expect_json "the JSON error"
expect_json_eq error.code not_found "the JSON error is not_found"

note "the first sync copies what east may see"
sync_as east --output json sync
expect_rc 0 "east syncs"
expect_json "sync --output json"
expect_json_eq sync.mode full "the first sync copies everything"
expect_json_eq sync.cycles 1 "one cycle copied (Drives)"
expect_json_eq sync.customers 2 "the two customers of Drives copied"
expect_json_eq sync.candidates 1 "one candidate copied (华东)"
expect_json_eq sync.user east "the copy is east's"
DB=$(local_db east)
[ -f "$DB" ] || die "no local copy at $DB"
expect_mode "$DB" 600 "the local copy"
expect_mode "$(dirname "$DB")" 700 "the local copy's directory"

note "nothing out of scope reached the local copy"
expect_sql east "SELECT count(*) FROM candidates WHERE segment <> '华东'" 0 \
	"no candidate of another segment"
expect_sql east "SELECT count(*) FROM candidates WHERE id IN ($CB, $CP)" 0 \
	"neither the 华南 nor the West candidate"
expect_sql east "SELECT count(*) FROM customers WHERE bu <> 'Drives'" 0 \
	"no customer of another BU"
expect_sql east "SELECT count(*) FROM cycles WHERE bu <> 'Drives'" 0 \
	"no cycle of another BU"
expect_sql east "SELECT id FROM candidates" "$CA" "only east's candidate"
expect_sql east "SELECT user, last_seq > 0 FROM meta" "east|1" \
	"meta names the user and a seq"
for secret in SOUTHSECRET PumpCo West Pumps; do
	if grep -qaF "$secret" "$DB"; then
		fail "the bytes of the local copy contain '$secret'"
	else
		pass "the bytes of the local copy lack '$secret'"
	fi
done

note "a second sync without changes is one request"
sync_as east --output json sync
expect_rc 0 "east syncs again"
expect_json_eq sync.mode changes "the second sync reads changes"
expect_json_eq sync.requests 1 "one request"
expect_json_eq sync.events_applied 0 "no events applied"
expect_json_eq sync.up_to_date true "up to date"
sync_as east sync
expect_rc 0 "east syncs in table form"
expect_out "up to date" "it says up to date"

note "changes arrive through the feed, out-of-scope ones do not"
tier_as east candidate score "$CA" revenue=9 fit=8
expect_rc 0 "east scores ACME"
tier_as east customer update "$ACME" --region 上海
expect_rc 0 "east completes ACME's card"
tier_as south customer update "$BOREALIS" --industry motors
expect_rc 0 "south updates Borealis (a Drives customer east sees)"
tier_as pumpmgr customer update "$PUMPCO" --region 'West PUMPSECRET'
expect_rc 0 "pumpmgr updates its customer (out of east's scope)"
tier_as pumpmgr candidate score "$CP" size=7
expect_rc 0 "pumpmgr scores its candidate (out of east's scope)"
sync_as east --output json sync
expect_rc 0 "east syncs the changes"
expect_json_eq sync.mode changes "read as changes"
expect_json_eq sync.requests 1 "one request for three changes"
expect_json_eq sync.events 3 "three events visible to east"
expect_json_eq sync.events_applied 3 "three events applied"
expect_sql east "SELECT count(*) FROM customers WHERE bu <> 'Drives'" 0 \
	"still no customer of another BU"
if grep -qaF PUMPSECRET "$DB"; then
	fail "the out-of-scope change reached the local copy"
else
	pass "the out-of-scope change did not reach the local copy"
fi

note "default location: \$XDG_DATA_HOME or ~/.local/share/tier"
tier_as buvp --output json sync
expect_rc 0 "buvp syncs to the default place"
expect_json_eq sync.candidates 2 "buvp's copy has both Drives candidates"
expect_mode "$HOME/.local/share/tier/127.0.0.1_$PORT.db" 600 \
	"~/.local/share/tier/HOST_PORT.db"
expect_mode "$HOME/.local/share/tier" 700 "~/.local/share/tier"

note "offline, with tierd stopped"
tierd_stop
sync_as east candidate list --cycle "$DRIVES" --offline
expect_rc 0 "offline candidate list"
expect_out "ACME" "the list shows ACME"
expect_out "scored" "ACME shows as scored"
expect_out "86.00" "with the score computed by the server"
expect_no_out "Borealis" "not the 华南 candidate"
expect_err "offline: local copy of $SERVER as of" "it says how old the copy is"
sync_as east --output json candidate list --cycle "$DRIVES" --offline
expect_json "offline candidate list --output json"
expect_json_eq total 1 "one candidate"
expect_json_eq candidates.0.state scored "JSON state scored"
expect_json_eq candidates.0.rank_segment 1 "ranked first in the segment"
sync_as east --output json candidate show "$CA" --offline
expect_rc 0 "offline candidate show"
expect_json_eq candidate.customer 'ACME 传动有限公司' "the candidate's customer"
expect_json_eq candidate.allowed '[]' "no actions offered offline"
sync_as east candidate show "$CB" --offline
expect_rc 7 "an out-of-scope candidate is not in the copy"
expect_err "no candidate $CB" "the error names it as the server would"
sync_as east --output json customer show "$ACME" --offline
expect_rc 0 "offline customer show"
expect_json_eq customer.region 上海 "the card carries the synced change"
sync_as east --output json customer show "$BOREALIS" --offline
expect_json_eq customer.industry motors "another user's change too"
sync_as east customer list --offline --search acme
expect_rc 0 "offline customer search"
expect_out "ACME" "the search ignores case"
expect_no_out "Borealis" "and matches only ACME"
sync_as east customer list --offline --search 'ＡＣＭＥ'
expect_out "ACME" "the search ignores width"
sync_as east --output json customer list --offline --bu Pumps
expect_json_eq customers '[]' "no Pumps customers offline"
sync_as east cycle list --offline
expect_rc 0 "offline cycle list"
expect_out "Drives" "the Drives cycle"
expect_no_out "Pumps" "not the Pumps cycle"
sync_as east --output json cycle show "$DRIVES" --offline
expect_rc 0 "offline cycle show"
expect_json_eq cycle.state open "the cycle is open"
expect_json_eq cycle.quotas.0.segment 华东 "east's quota"
expect_json_eq cycle.quotas.0.proposed 1 "with its progress"
sync_as east cycle show "$PUMPS" --offline
expect_rc 7 "the Pumps cycle is not in the copy"
sync_as east sync --status
expect_rc 0 "sync --status without the server"
expect_out "east" "the status names the user"
sync_as east sync
expect_rc 3 "sync without the server cannot connect"
sync_as pumpmgr candidate list --cycle "$PUMPS" --offline
expect_rc 7 "pumpmgr never synced"
expect_err "no local copy for $SERVER; run tier sync"
sync_as east candidate list --cycle "$DRIVES" --offline --watch
expect_rc 2 "--offline and --watch exclude each other"

note "a copy behind the resume window is copied again"
TIERD_EXTRA=("[feed]" "resume_window = 2")
tierd_restart_same_port
sync_as east --output json sync
expect_rc 0 "east syncs after the restart"
expect_json_eq sync.up_to_date true "nothing changed meanwhile"
for region in one two three; do
	tier_as pumpmgr customer update "$PUMPCO" --region "$region"
done
tier_as east customer update "$ACME" --region 杭州
expect_rc 0 "east changes ACME after four other changes"
sync_as east --output json sync
expect_rc 0 "east syncs from behind the window"
expect_json_eq sync.mode full "everything is copied again"
reason=$(json_get sync.reason)
case "$reason" in
*"keeps changes"*) pass "the reason says the server no longer keeps them" ;;
*) fail "sync.reason is '$reason'" ;;
esac
expect_json_eq sync.candidates 1 "still only east's candidate"
sync_as east --output json sync
expect_json_eq sync.requests 1 "then one request again"
tierd_stop
sync_as east --output json customer show "$ACME" --offline
expect_json_eq customer.region 杭州 "the full copy has the latest card"

note "a server restored from an older backup: the copy starts again"
cp -a "$DATADIR" "$E2E_TMP/backup" || die "cannot back up $DATADIR"
TIERD_EXTRA=()
tierd_restart_same_port
tier_as east customer update "$ACME" --region 'after the backup'
expect_rc 0 "east changes ACME after the backup"
sync_as east --output json sync
expect_json_eq sync.events_applied 1 "east's copy has the change"
tierd_stop
rm -rf "$DATADIR" && cp -a "$E2E_TMP/backup" "$DATADIR" ||
	die "cannot restore $DATADIR"
tierd_restart_same_port
sync_as east --output json sync
expect_rc 0 "east syncs with the restored server"
expect_json_eq sync.mode full "the copy, ahead of the server, is made anew"
reason=$(json_get sync.reason)
case "$reason" in
*"behind the local copy"*) pass "the reason says the server went back" ;;
*) fail "sync.reason is '$reason'" ;;
esac
sync_as east --output json customer show "$ACME" --offline
expect_json_eq customer.region 杭州 "the copy shows the server's state again"

finish
