# End to end: inbound inquiries through the real tier binary. Inquiries are
# logged by the BU's people (not by a researcher, not outside their scope,
# not with a bad or future date), listed and counted per month (the summary
# is one CSV table), and decided once each by the BU's marketing head:
# promoted into the open cycle (refused while none is open; the candidate
# goes through the propose rules and shows where it came from), served as a
# general customer, or declined with a reason. A failed promotion changes
# nothing; a second decision is a conflict; audit entries and feed events
# reach those who see the BU only.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# jget EXPR: a Python expression over the last JSON output (bound to d).
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$OUT" "$1" 2>/dev/null
}

expect_jget() {
	local got
	got=$(jget "$1")
	if [ "$got" = "$2" ]; then
		pass "$3 ($1 = $2)"
	else
		fail "$3: $1 is '$got', want '$2'"
	fi
}

# add_inquiry PERSON COMPANY [ARGS...]: logs an inquiry to 华东事业部 as
# PERSON, expects success and sets INQ to its id.
add_inquiry() {
	local who=$1 company=$2
	shift 2
	tier_as "$who" --output json inquiry add --bu 华东事业部 \
		--channel phone --caller 'Wang, buyer, 139' --company "$company" \
		--request 'price list for pumps' "$@"
	expect_rc 0 "$who logs an inquiry from $company"
	INQ=$(jget 'd["inquiry"]["id"]')
	[ -n "$INQ" ] || die "inquiry add printed no id"
}

# feed_actions WHO: "action:entity_id" of every event WHO's feed holds.
feed_actions() {
	RAWPEER_AFTER=0 RAWPEER_LIMIT=5000 "$RAWPEER" feed-read 127.0.0.1 \
		"$PORT" "$(key_of "$1")" 2>/dev/null | python3 -c '
import json, sys
page = json.loads(sys.stdin.read().splitlines()[-1])["feed_read"]
for m in page["events"]:
    print("%s:%d" % (m["event"]["action"], m["event"]["entity_id"]))'
}

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation and people"
tier_as root org add bg 集团
tier_as root org add bu 华东事业部 --parent 集团
tier_as root org add segment 华东 --parent 华东事业部
tier_as root org add segment 华南 --parent 华东事业部
tier_as root org add bu 西部 --parent 集团
tier_as root org add segment 西南 --parent 西部
expect_rc 0 "root sets up two BUs with segments"
add_person root am account_mgr 'segments:华东'
add_person root sm segment_mgr 'segments:华东'
add_person root mh marketing_head 'bu:华东事业部'
add_person root vp bu_vp 'bu:华东事业部'
add_person root res researcher 'bu:华东事业部'
add_person root aud auditor
add_person root wmh marketing_head 'bu:西部'

note "logging inquiries"
add_inquiry am '星海泵业' --segment 华东 --date 2026-10-05 \
	--handling 'sent the catalogue'
Q1=$INQ
expect_jget 'd["inquiry"]["outcome"]' open \
	"a new inquiry is open"
add_inquiry sm '北辰电机' --date 2026-10-20
Q2=$INQ
add_inquiry mh '东方阀门' --segment 华南 --date 2026-10-21
Q3=$INQ
add_inquiry vp '晨光机械' --segment 华东 --date 2026-09-30
Q4=$INQ
tier_as am --output json inquiry show "$Q1"
expect_rc 0 "am shows the inquiry"
expect_jget 'd["inquiry"]["channel"]' phone "the channel is recorded"
expect_jget 'd["inquiry"]["caller"]' 'Wang, buyer, 139' "the caller is kept"
expect_jget 'd["inquiry"]["handling"]' 'sent the catalogue' \
	"the first handling is kept"
expect_jget 'd["inquiry"]["received_on"]' 2026-10-05 "the date is kept"
expect_jget 'd["inquiry"]["logged_by"]' am "logged_by names am"

tier_as res inquiry add --bu 华东事业部 --channel web --caller x \
	--company y --request z
expect_rc 6 "a researcher may not log inquiries"
expect_err "role researcher may not inquiry_add" "the refusal names the role"
tier_as am inquiry add --bu 西部 --channel web --caller x --company y \
	--request z
expect_rc 7 "am cannot log an inquiry for a BU outside its scope"
tier_as am inquiry add --bu 华东事业部 --segment 华南 --channel web \
	--caller x --company y --request z
expect_rc 7 "am cannot log an inquiry for a segment outside its scope"
tier_as am --output json inquiry add --bu 华东事业部 --channel web \
	--caller x --company y --request z --date 2026-02-30
expect_rc 9 "a day that does not exist is refused"
expect_out "inquiry_add.inquiry.received_on" "the error names the field"
tier_as am inquiry add --bu 华东事业部 --channel web --caller x \
	--company y --request z --date 2999-01-01
expect_rc 9 "a day in the future is refused"
tier_as am --output json inquiry add --bu 华东事业部 --channel web \
	--caller '  ' --company y --request z
expect_rc 9 "a blank caller is refused"
expect_out "inquiry_add.inquiry.caller" "the error names the caller field"
tier_as am inquiry add --bu 华东事业部 --channel telex --caller x \
	--company y --request z
expect_rc 2 "an unknown channel is a usage error"

note "list and summary"
tier_as aud --output json inquiry list --month 2026-10
expect_rc 0 "the auditor lists October's inquiries"
expect_jget 'len(d["inquiries"])' 3 "three inquiries came in October"
expect_jget '[q["id"] for q in d["inquiries"]] == sorted([q["id"] for q in d["inquiries"]], reverse=True)' \
	true "the list is last logged first"
tier_as wmh --output json inquiry list
expect_rc 0 "the other BU's marketing head lists inquiries"
expect_jget 'len(d["inquiries"])' 0 "and sees none of this BU's"
tier_as am inquiry list --month 2026-13
expect_rc 9 "a month that does not exist is refused"
tier_as mh --output csv inquiry summary --bu 华东事业部 --month 2026-10
expect_rc 0 "the summary prints as CSV"
python3 - "$OUT" <<'PY' && pass "the summary is one CSV table with the right counts" || fail "summary CSV: $(cat "$OUT")"
import csv, sys
raw = open(sys.argv[1], newline="").read()
assert "\r\n" in raw
rows = list(csv.reader(raw.splitlines()))
assert rows[0] == ["BY", "KEY", "COUNT"], rows[0]
assert all(len(r) == 3 for r in rows), rows
got = {(r[0], r[1]): int(r[2]) for r in rows[1:]}
assert got[("segment", "华东")] == 1, got
assert got[("segment", "华南")] == 1, got
assert got[("segment", "(none)")] == 1, got
assert got[("channel", "phone")] == 3 and got[("channel", "web")] == 0, got
assert got[("outcome", "open")] == 3, got
assert got[("total", "")] == 3, got
PY
tier_as mh inquiry summary --bu 华东事业部 --month 2026-10
expect_rc 0 "the summary prints as a table"
expect_out "received in 2026-10" "the table names the month"

note "decisions: who may, and promote without an open cycle"
tier_as am inquiry promote "$Q1" --segment 华东
expect_rc 6 "an account manager may not decide inquiries"
tier_as wmh inquiry promote "$Q1" --segment 华东
expect_rc 7 "another BU's marketing head does not see the inquiry"
tier_as mh inquiry promote "$Q1" --segment 华东
expect_rc 9 "nothing is promoted while the BU has no open cycle"
expect_err "no open cycle" "the refusal says there is no open cycle"

tier_as vp --output json cycle create --bu 华东事业部 --year 2026
CYCLE=$(jget 'd["cycle"]["id"]')
[ -n "$CYCLE" ] || die "cycle create printed no id"
tier_as vp criteria set "$CYCLE" --criterion 'reach:100:0-10'
tier_as mh inquiry promote "$Q1" --segment 华东
expect_rc 9 "a drafting cycle is not open either"
tier_as vp cycle open "$CYCLE"
expect_rc 0 "vp opens the cycle"

note "promote"
tier_as aud --output json customer list --bu 华东事业部
NCUST=$(jget 'len(d["customers"])')
tier_as mh --output json inquiry promote "$Q1" --segment 华北
expect_rc 7 "an unknown segment is not found"
tier_as mh --output json inquiry promote "$Q1" --segment 华东
expect_rc 0 "mh promotes the inquiry"
expect_jget 'd["inquiry"]["outcome"]' promoted \
	"the inquiry is promoted"
expect_jget 'd["candidate"]["state"]' proposed "the candidate starts proposed"
expect_jget 'd["candidate"]["inquiry_id"]' "$Q1" \
	"the candidate names its inquiry"
expect_jget 'd["candidate"]["customer"]' 星海泵业 \
	"the customer is named after the company"
expect_jget 'd["candidate"]["proposed_by"]' mh "the proposer is mh"
CAND=$(jget 'd["candidate"]["id"]')
CUST=$(jget 'd["candidate"]["customer_id"]')
tier_as sm candidate show "$CAND"
expect_rc 0 "sm shows the promoted candidate"
expect_out "from inquiry $Q1" "candidate show says where it came from"
tier_as sm --output json inquiry show "$Q1"
expect_jget 'd["inquiry"]["candidate_id"]' "$CAND" "the inquiry names the candidate"
expect_jget 'd["inquiry"]["cycle_id"]' "$CYCLE" "and its cycle"
expect_jget 'd["inquiry"]["decided_by"]' mh "and who decided"
tier_as mh inquiry promote "$Q1" --segment 华东
expect_rc 8 "an inquiry is decided only once"
expect_err "already promoted by mh" "the conflict says who decided it"
tier_as mh inquiry decline "$Q1" --reason late
expect_rc 8 "a promoted inquiry cannot be declined afterwards"

note "a promotion that fails changes nothing"
tier_as mh --output json customer list --bu 华东事业部
NCUST1=$(jget 'len(d["customers"])')
[ "$NCUST1" = $((NCUST + 1)) ] && pass "the promotion created one customer" ||
	fail "customers before $NCUST, after $NCUST1"
tier_as mh inquiry promote "$Q4" --customer "$CUST"
expect_rc 8 "a customer already a candidate of the cycle cannot be promoted again"
expect_err "already candidate $CAND" "the refusal names the candidate"
tier_as mh --output json inquiry show "$Q4"
expect_jget 'd["inquiry"]["outcome"]' open \
	"the refused inquiry is still open"
tier_as mh --output json inquiry promote "$Q2"
expect_rc 9 "an inquiry without a segment needs --segment"
expect_out "inquiry_decide.segment" "the error names the segment field"
tier_as mh --output json customer list --bu 华东事业部
expect_jget 'len(d["customers"])' "$NCUST1" "refused promotions created no customer"

note "serve and decline"
tier_as mh --output json inquiry serve "$Q3" --note 'standard price list'
expect_rc 0 "mh serves an inquiry"
expect_jget 'd["inquiry"]["outcome"]' served "it is served"
expect_jget 'd["inquiry"]["note"]' 'standard price list' "the note is kept"
SCUST=$(jget 'd["inquiry"]["customer_id"]')
tier_as mh --output json customer show "$SCUST"
expect_rc 0 "the served company is a customer"
expect_jget 'd["customer"]["name"]' 东方阀门 "named after the company"
expect_jget 'd["customer"]["grade"]' general "with grade general"
tier_as mh inquiry decline "$Q2"
expect_rc 2 "declining needs --reason"
tier_as mh --output json inquiry decline "$Q2" --reason ' '
expect_rc 9 "a blank reason is refused by the server"
expect_out "inquiry_decide.note" "the error names the field"
tier_as mh --output json inquiry decline "$Q2" --reason 'not our market'
expect_rc 0 "mh declines an inquiry with a reason"
expect_jget 'd["inquiry"]["note"]' 'not our market' "the reason is kept"
tier_as mh inquiry serve "$Q2"
expect_rc 8 "a declined inquiry cannot be served afterwards"

tier_as mh --output json inquiry list --open
expect_jget '[q["id"] for q in d["inquiries"]]' "[$Q4]" \
	"--open lists only the undecided inquiry"
tier_as mh --output json inquiry summary --bu 华东事业部 --month 2026-10
expect_jget '{r["key"]: r["count"] for r in d["rows"] if r["by"] == "outcome"}' \
	"{'open': 0, 'promoted': 1, 'served': 1, 'declined': 1}" \
	"the summary counts each outcome"

note "audit and feed"
tier_as am audit show inquiry "$Q1"
expect_rc 0 "am reads the inquiry's history"
expect_out "inquiry.add" "the history has the logging"
expect_out "inquiry.promote" "and the promotion"
tier_as wmh audit show inquiry "$Q1"
expect_rc 7 "another BU's marketing head cannot read it"
got=$(feed_actions am)
if echo "$got" | grep -qx "inquiry.promote:$Q1" &&
	echo "$got" | grep -qx "inquiry.decline:$Q2" &&
	echo "$got" | grep -qx "candidate.propose:$CAND"; then
	pass "am's feed carries the inquiry events"
else
	fail "am's feed: $got"
fi
got=$(feed_actions wmh)
if echo "$got" | grep -q '^inquiry\.'; then
	fail "wmh's feed shows inquiries of another BU: $got"
else
	pass "another BU's marketing head gets no inquiry events"
fi

finish
