# End to end: the annual review of a closed cycle through the real tier
# binary. A 2025 cycle gets targets of two tiers in two segments (one of them
# promoted from an inquiry), visits and complaints in and outside 2025, and
# revenue with plans; the review is refused while the cycle is open, to
# roles without it and outside the BU, and once closed it counts exactly the
# targets' figures of the cycle's year. The BU VP then marks the cycle
# reviewed (once, only when closed), after which nothing in it changes.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

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

# add_customer NAME REVENUE PLAN: sm adds a customer with 2025 figures; sets
# CUST.
add_customer() {
	tier_as sm --output json customer add --bu 华东事业部 "$1" \
		--revenue 2025="$2" --plan 2025="$3"
	expect_rc 0 "customer $1 added"
	CUST=$(jget 'd["customer"]["id"]')
	[ -n "$CUST" ] || die "customer add printed no id"
}

# target CANDIDATE TIER: sm scores and submits, vp approves.
target() {
	tier_as sm candidate score "$1" reach=8
	tier_as sm candidate submit "$1" --tier "$2" --owner sm \
		--justification 'review test'
	expect_rc 0 "candidate $1 submitted as $2"
	tier_as vp candidate approve "$1"
	expect_rc 0 "candidate $1 approved"
}

# propose CUSTOMER SEGMENT: sm proposes; sets CAND.
propose() {
	tier_as sm --output json candidate propose --cycle "$CYCLE" \
		--segment "$2" --customer "$1"
	expect_rc 0 "customer $1 proposed in $2"
	CAND=$(jget 'd["candidate"]["id"]')
}

# promote COMPANY: am logs an inquiry, mh promotes it into segment 华东;
# sets CAND.
promote() {
	tier_as am --output json inquiry add --bu 华东事业部 --channel mail \
		--caller buyer --company "$1" --request 'samples' \
		--date 2025-06-01
	expect_rc 0 "inquiry from $1 logged"
	tier_as mh --output json inquiry promote "$(jget 'd["inquiry"]["id"]')" \
		--segment 华东
	expect_rc 0 "inquiry from $1 promoted"
	CAND=$(jget 'd["candidate"]["id"]')
}

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation, people, cycle"
tier_as root org add bg 集团
tier_as root org add bu 华东事业部 --parent 集团
tier_as root org add segment 华东 --parent 华东事业部
tier_as root org add segment 华南 --parent 华东事业部
tier_as root org add bu 西部 --parent 集团
expect_rc 0 "root sets up the organisation"
add_person root sm segment_mgr 'segments:华东,华南'
add_person root am account_mgr 'segments:华东'
add_person root vp bu_vp 'bu:华东事业部'
add_person root bg bg_vp 'bg:集团'
add_person root mh marketing_head 'bu:华东事业部'
add_person root aud auditor
add_person root wvp bu_vp 'bu:西部'

tier_as vp --output json cycle create --bu 华东事业部 --year 2025
CYCLE=$(jget 'd["cycle"]["id"]')
[ -n "$CYCLE" ] || die "cycle create printed no id"
tier_as vp criteria set "$CYCLE" --criterion 'reach:100:0-10'
tier_as vp cycle open "$CYCLE"
expect_rc 0 "vp opens the 2025 cycle"

note "targets, visits, complaints, revenue"
add_customer 甲公司 800 1000
CA=$CUST
add_customer 乙公司 500 400
CB=$CUST
add_customer 丙公司 300 0
CC=$CUST
add_customer 丁公司 9999 1
CD=$CUST
propose "$CA" 华东
target "$CAND" key
propose "$CB" 华东
target "$CAND" general
propose "$CC" 华南
CC_CAND=$CAND
target "$CC_CAND" general
propose "$CD" 华东
promote 戊公司
target "$CAND" general
promote 己公司

for d in 2025-02-01 2025-08-15 2024-12-31; do
	tier_as sm visit add "$CA" --date "$d" --received-by 'Li' --content x
done
tier_as sm visit add "$CC" --date 2025-03-03 --received-by 'Zhao' --content y
tier_as sm visit add "$CD" --date 2025-03-03 --received-by 'Qian' --content z
expect_rc 0 "visits recorded"
tier_as sm complaint add "$CA" --category quality --description late \
	--date 2025-04-01
tier_as sm complaint add "$CB" --category price --description dear \
	--date 2024-11-11
expect_rc 0 "complaints recorded"

note "refusals while open and by role or scope"
tier_as vp review --cycle "$CYCLE"
expect_rc 9 "an open cycle has no review yet"
expect_err "closed" "the refusal says the cycle must be closed"
expect_err "tier cycle close $CYCLE" "the hint says how"
tier_as vp cycle review "$CYCLE"
expect_rc 9 "an open cycle cannot be marked reviewed"
tier_as sm review --cycle "$CYCLE"
expect_rc 6 "a segment manager may not ask for the review"
tier_as am review --cycle "$CYCLE"
expect_rc 6 "an account manager may not ask for the review"
tier_as wvp review --cycle "$CYCLE"
expect_rc 7 "another BU's VP does not see the cycle"
tier_as vp review
expect_rc 2 "review needs --cycle"

tier_as vp cycle close "$CYCLE"
expect_rc 0 "vp closes the cycle"

note "the review"
tier_as vp --output json review --cycle "$CYCLE"
expect_rc 0 "vp reads the review"
expect_jget '[(r["tier"], r["segment"], r["targets"]) for r in d["rows"]]' \
	"[('key', '华东', 1), ('general', '华东', 2), ('general', '华南', 1)]" \
	"rows per tier (strategic first) and segment, approved targets only"
expect_jget '[r["visits"] for r in d["rows"]]' "[2, 0, 1]" \
	"visits of the cycle's year to the targets only"
expect_jget '[r["complaints"] for r in d["rows"]]' "[1, 0, 0]" \
	"complaints of the cycle's year only"
expect_jget '[(r["revenue"], r["plan"], r["revenue_percent"]) for r in d["rows"]]' \
	"[(800, 1000, 80.0), (500, 400, 125.0), (300, 0, 0.0)]" \
	"revenue against plan per row"
expect_jget '[r["from_inquiries"] for r in d["rows"]]' "[0, 1, 0]" \
	"the target promoted from an inquiry is counted"
T='d["total"]'
expect_jget "($T[\"targets\"], $T[\"visits\"], $T[\"complaints\"], $T[\"revenue\"], $T[\"plan\"], $T[\"revenue_percent\"], $T[\"from_inquiries\"])" \
	"(4, 3, 1, 1600, 1400, 114.3, 1)" "the totals add up"
expect_jget 'd["inquiries_promoted"]' 2 \
	"both promoted inquiries count, approved or not"
tier_as aud --output csv review --cycle "$CYCLE"
expect_rc 0 "the auditor reads the review as CSV"
python3 - "$OUT" <<'PY' && pass "the CSV is one table with a totals row" || fail "review CSV: $(cat "$OUT")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="").read().splitlines()))
assert rows[0][:3] == ["TIER", "SEGMENT", "TARGETS"], rows[0]
assert all(len(r) == 9 for r in rows), rows
assert rows[-1][0] == "total" and rows[-1][2] == "4", rows[-1]
assert len(rows) == 5, rows
PY
tier_as bg review --cycle "$CYCLE"
expect_rc 0 "the BG VP reads the review"
expect_out "annual review of cycle $CYCLE" "the table has its title"
expect_out "inquiries promoted into the cycle: 2" "and the inquiry count"
tier_as mh review --cycle "$CYCLE"
expect_rc 0 "the marketing head reads the review"

note "closed -> reviewed"
tier_as mh --output json inquiry add --bu 华东事业部 --channel web \
	--caller x --company 庚公司 --request y --date 2025-12-01
tier_as mh inquiry promote "$(jget 'd["inquiry"]["id"]')" --segment 华东
expect_rc 9 "nothing is promoted into a closed cycle"
tier_as mh cycle review "$CYCLE"
expect_rc 6 "only the BU VP marks a cycle reviewed"
tier_as vp --output json cycle review "$CYCLE"
expect_rc 0 "vp marks the closed cycle reviewed"
expect_jget 'd["cycle"]["state"]' reviewed "the cycle is reviewed"
tier_as vp cycle review "$CYCLE"
expect_rc 9 "a cycle is reviewed once"
expect_err "is reviewed" "the refusal names the state"
tier_as vp candidate reopen "$CC_CAND" --reason again
expect_rc 9 "nothing in a reviewed cycle changes"
tier_as vp cycle close "$CYCLE"
expect_rc 9 "a reviewed cycle does not go back to closed"
tier_as vp --output json review --cycle "$CYCLE"
expect_rc 0 "the review of a reviewed cycle is still there"
expect_jget 'd["total"]["targets"]' 4 "with the same figures"
tier_as vp audit show cycle "$CYCLE"
expect_out "cycle.review" "the audit log has the review mark"
tier_as vp --output json visit plan
expect_rc 0 "visit plan after the review"
expect_jget 'len(d["targets"])' 4 "a reviewed cycle's targets stay in the revisit plan"

finish
