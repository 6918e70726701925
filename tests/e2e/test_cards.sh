# End to end: the archive card through the real tier binary. A full card is
# 100% complete and a partial one names what is missing; the transaction
# status is checked; a marked change in transaction volume needs a reason
# that lands in the audit log; plans are kept per year; candidates with an
# incomplete card are flagged in candidate list, queue and targets; grades
# are set by hand (bu_vp and segment_mgr only, with a reason) and by the
# final approval of a candidate, and customer list filters by grade; the
# ABC analysis classes customers by revenue.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# The interpreter itself, not a version manager's shim: it runs often here.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3

# jget EXPR: a Python expression over the JSON on stdout (bound to d).
jget() {
	"$PY" -c 'import json, sys
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

add_user() {
	tier_as root user add "$1" --role "$2" --scope "$3"
	[ "$RC" -eq 0 ] || die "root could not add $1: $(cat "$ERR")"
	enroll_as "$1" "$(code_in "$OUT")"
}

# The percentage threshold is set low in the configuration to see that the
# server's [policy] setting is what applies.
tierd_config
printf '[policy]\nvolume_change_percent = 25\nabc_a = 60\nabc_b = 30\n' >>"$CONF"
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation and people"
tier_as root org add bg 集团
tier_as root org add bu 华东事业部 --parent 集团
tier_as root org add segment 华东 --parent 华东事业部
tier_as root org add bu 西部 --parent 集团
tier_as root org add segment 西南 --parent 西部
expect_rc 0 "the organisation is set up"
add_user sm segment_mgr 'segments:华东'
add_user am account_mgr 'segments:华东'
add_user vp bu_vp 'bu:华东事业部'
add_user west segment_mgr 'segments:西南'

note "the full card"
tier_as sm --output json customer add --bu 华东事业部 '全卡机械' \
	--industry 制造 --region 上海 --size 500 --contacts 'Li 138' \
	--credit-limit 100000 --payment-terms 'net 30' \
	--profile '汽车零部件, 3 plants' --key-people '王总 (CEO)' \
	--status active --revenue 2025=1000000 --revenue 2026=1100000 \
	--plan 2026=1200000
expect_rc 0 "a customer with every card field"
FULL=$(jget 'd["customer"]["id"]')
expect_jget 'd["customer"]["completeness"]' 100 "the full card is 100% complete"
expect_jget 'd["customer"]["missing"]' "[]" "nothing is missing"
expect_jget '[(y["year"], y["amount"], y["plan"]) for y in d["customer"]["revenue"]]' \
	"[(2025, 1000000, 0), (2026, 1100000, 1200000)]" "revenue and plan per year"
expect_jget 'd["customer"]["transaction_status"]' active "the status is kept"

tier_as sm customer show "$FULL"
expect_rc 0 "customer show"
expect_out "2026: 1100000 (plan 1200000)" "show prints the plan beside the amount"
expect_out "汽车零部件, 3 plants" "show prints the profile"
expect_out "complete:" "show prints the completeness"

tier_as sm --output json customer add --bu 华东事业部 '半卡贸易' --industry 贸易
expect_rc 0 "a customer with a partial card"
HALF=$(jget 'd["customer"]["id"]')
expect_jget 'd["customer"]["completeness"]' 10 "one field of ten: 10%"
expect_jget '"profile" in d["customer"]["missing"] and "key_people" in d["customer"]["missing"] and "transaction_status" in d["customer"]["missing"]' \
	true "the new card fields are missing"

tier_as sm customer add --bu 华东事业部 '状态错误' --status booming
expect_rc 9 "an unknown transaction status is refused"
expect_err "transaction status" "the refusal names the field"
expect_err "none, prospect, active, dormant or lost" "and the values it takes"

note "a marked change in transaction volume"
tier_as sm customer update "$FULL" --revenue 2026=1500000
expect_rc 9 "revenue +36% against its recorded amount needs a reason"
expect_err "revenue 2026 changes from 1100000" "the refusal names the year and old value"
expect_err "to 1500000" "and the new value"
expect_err "--reason" "the hint names --reason"
tier_as sm customer update "$FULL" --revenue 2027=2000000
expect_rc 9 "a new year far above the year before needs a reason"
expect_err "revenue 2027 changes from 1100000 (the year before) to 2000000" \
	"the refusal compares with the year before"
tier_as sm --output json customer update "$FULL" --revenue 2026=1200000
expect_rc 0 "+9% (and +20% on the year before) stays below the 25% configured"
tier_as sm --output json customer update "$FULL" --revenue 2026=1700000 \
	--reason '新产线投产'
expect_rc 0 "with a reason the change is accepted"
expect_jget '[y["amount"] for y in d["customer"]["revenue"] if y["year"] == 2026][0]' \
	1700000 "the new amount is stored"
expect_jget '[y["plan"] for y in d["customer"]["revenue"] if y["year"] == 2026][0]' \
	1200000 "an update keeps the plan"
tier_as sm --output json audit show customer "$FULL"
expect_rc 0 "the customer's history"
expect_jget 'd["entries"][-1]["reason"]' '新产线投产' "the reason is in the audit entry"
tier_as sm --output json customer update "$FULL" --plan 2028=3000000
expect_rc 0 "a plan for a year without revenue needs no reason"
expect_jget '[(y["amount"], y["plan"]) for y in d["customer"]["revenue"] if y["year"] == 2028]' \
	"[(0, 3000000)]" "the plan-only year is kept with amount 0"
tier_as sm customer add --bu 华东事业部 '跳变公司' --revenue 2025=100 --revenue 2026=1000
expect_rc 9 "a new customer's card is checked year against year"
tier_as sm customer list --bu 华东事业部 --search 跳变
expect_no_out "跳变公司" "the refused customer was not added"

note "grades by hand"
VER=$(tier_as sm --output json customer show "$FULL" >/dev/null; jget 'd["customer"]["version"]')
tier_as am customer grade "$FULL" key --reason x
expect_rc 6 "an account manager may not grade"
tier_as sm customer grade "$FULL" key
expect_rc 2 "a grade needs --reason"
tier_as sm customer grade "$FULL" gold --reason x
expect_rc 2 "an unknown grade is a usage error"
tier_as sm customer grade "$FULL" key --owner west --reason 'big account'
expect_rc 9 "the owner must see the customer's BU"
expect_err 'no user "west" who can see the customer' "the refusal names the owner"
tier_as sm --output json customer grade "$FULL" key --owner am --reason 'big account'
expect_rc 0 "sm grades the customer key, owner am"
expect_jget 'd["customer"]["grade"]' key "the grade is key"
expect_jget 'd["customer"]["owner"]' am "the owner is am"
expect_jget "d['customer']['version'] == $VER + 1" true "the version moved on"
tier_as west customer grade "$FULL" general --reason x
expect_rc 7 "out of scope, the customer does not exist"
tier_as vp customer grade "$FULL" potential --if-version "$VER" --reason late
expect_rc 8 "a stale version is a conflict"
tier_as sm --output json audit show customer "$FULL"
expect_jget 'd["entries"][-1]["action"]' customer.grade "the grade has its audit entry"
tier_as sm --output json customer list --grade key
expect_jget '[c["id"] for c in d["customers"]]' "[$FULL]" "--grade key lists the graded customer only"
tier_as sm --output json customer list --grade none
expect_jget "$FULL in [c['id'] for c in d['customers']]" false "--grade none leaves it out"
expect_jget "$HALF in [c['id'] for c in d['customers']]" true "--grade none lists the others"
tier_as sm customer list --grade gold
expect_rc 9 "an unknown grade filter is refused"
tier_as sm customer list --bu 华东事业部
expect_rc 0 "customer list as a table"
expect_out "GRADE" "the table has a grade column"
grep -F "全卡机械" "$OUT" | grep -q "key" && grep -F "全卡机械" "$OUT" | grep -q " am " &&
	pass "the row shows grade and owner" || fail "the row lacks grade key and owner am"
grep -F "半卡贸易" "$OUT" | grep -q "10%" && pass "the row shows 10% for the partial card" ||
	fail "the partial card's row lacks 10%"

note "incomplete cards flagged in candidate lists; approval sets the grade"
tier_as vp --output json cycle create --bu 华东事业部 --year 2027
CYCLE=$(jget 'd["cycle"]["id"]')
tier_as vp criteria set "$CYCLE" --criterion 'reach:100:0-10'
tier_as vp cycle open "$CYCLE"
expect_rc 0 "an open cycle"
tier_as sm --output json candidate propose --cycle "$CYCLE" --segment 华东 --customer "$HALF"
KH=$(jget 'd["candidate"]["id"]')
expect_jget 'd["candidate"]["card_incomplete"]' true "the candidate of the partial card is flagged"
tier_as sm --output json candidate propose --cycle "$CYCLE" --segment 华东 --customer "$FULL"
KF=$(jget 'd["candidate"]["id"]')
expect_jget 'd["candidate"]["card_incomplete"]' false "the full card's is not"
tier_as sm --output json candidate list --cycle "$CYCLE"
expect_jget "sorted((c['id'], c['card_incomplete']) for c in d['candidates'])" \
	"$("$PY" -c "print(sorted([($KH, True), ($KF, False)]))")" "candidate list carries the flag"
tier_as sm candidate list --cycle "$CYCLE"
expect_out "CARD" "the table has a card column"
grep -F "半卡贸易" "$OUT" | grep -q "incomplete" && pass "the partial card's row says incomplete" ||
	fail "the partial card's row does not say incomplete"
grep -F "全卡机械" "$OUT" | grep -q "incomplete" && fail "the full card's row says incomplete" ||
	pass "the full card's row does not say incomplete"
tier_as sm candidate score "$KH" reach=8
tier_as sm candidate score "$KF" reach=8
tier_as sm candidate submit "$KH" --tier key --owner am
expect_rc 0 "the partial card's candidate is submitted as key"
tier_as sm candidate submit "$KF" --tier general --owner sm --justification 'small first year'
expect_rc 0 "the full card's candidate is submitted as general, owner sm"
tier_as vp queue
expect_rc 0 "vp's queue"
grep -F "半卡贸易" "$OUT" | grep -q "incomplete" && pass "the queue flags the incomplete card" ||
	fail "the queue does not flag the incomplete card"
tier_as vp --output json candidate approve "$KF"
expect_rc 0 "vp approves the full card's candidate"
tier_as sm --output json customer show "$FULL"
expect_jget 'd["customer"]["grade"]' general "approval made the tier the grade"
expect_jget 'd["customer"]["owner"]' sm "and the candidate's owner the owner"
tier_as sm --output json audit show customer "$FULL"
expect_jget 'd["entries"][-1]["action"]' customer.grade "the approval wrote a customer.grade entry"
expect_jget 'd["entries"][-1]["reason"]' "candidate $KF approved" "naming the candidate"
tier_as vp candidate approve "$KH"
tier_as sm targets --cycle "$CYCLE"
expect_rc 0 "targets"
grep -F "半卡贸易" "$OUT" | grep -q "incomplete" && pass "targets flag the incomplete card" ||
	fail "targets do not flag the incomplete card"

note "ABC analysis"
tier_as sm customer add --bu 华东事业部 'A大' --revenue 2024=600
tier_as sm customer add --bu 华东事业部 'B中' --revenue 2024=300
tier_as sm customer add --bu 华东事业部 'C小甲' --revenue 2024=50
tier_as sm customer add --bu 华东事业部 'C小乙' --revenue 2024=50
tier_as west customer add --bu 西部 '西部客户' --revenue 2024=999999
expect_rc 0 "customers with revenue in 2024"
tier_as sm customer abc
expect_rc 2 "abc needs --year"
tier_as sm --output json customer abc --bu 华东事业部 --year 2000
expect_rc 0 "abc of a year without revenue"
expect_jget '(set(r["class"] for r in d["rows"]), d["total"])' "({'C'}, 0)" \
	"all-zero revenue: every customer is C"
tier_as sm --output json customer abc --year 2024
expect_rc 0 "abc for 2024"
expect_jget '(d["a"], d["b"], d["total"])' "(60, 30, 1000)" \
	"the thresholds are the server's [policy] ones"
expect_jget "'西部客户' in [r['customer'] for r in d['rows']]" false \
	"customers out of scope are not analysed"
expect_jget '[(r["customer"], r["class"]) for r in d["rows"]]' \
	"[('A大', 'A'), ('B中', 'B'), ('C小乙', 'C'), ('C小甲', 'C'), ('全卡机械', 'C'), ('半卡贸易', 'C')]" \
	"A, B, C by the share before; ties by name; zero revenue is C"
expect_jget '[r["rank"] for r in d["rows"]]' "[1, 2, 3, 3, 5, 5]" "tied revenue shares the rank"
expect_jget '[r["cumulative"] for r in d["rows"]][:4]' "[60.0, 90.0, 95.0, 100.0]" \
	"cumulative shares"
tier_as sm --output json customer abc --bu 华东事业部 --year 2024 --a 70 --b 25
expect_jget '[r["class"] for r in d["rows"]]' "['A', 'A', 'B', 'B', 'C', 'C']" \
	"--a and --b move the classes; a tie takes its first's class"
tier_as sm customer abc --year 2024 --a 90 --b 20
expect_rc 9 "a + b above 100 is refused"
expect_err "do not fit" "the refusal says the thresholds do not fit"
tier_as sm customer abc --year 2024 --to-year 2026 --bu 华东事业部
expect_rc 0 "abc over two years as a table"
expect_out "CUMULATIVE %" "the table has the cumulative share"
expect_out "years 2024-2026" "the footer names the years"
tier_as sm --output csv customer abc --year 2024 --bu 华东事业部
expect_rc 0 "abc as CSV"
"$PY" - "$OUT" <<'PY' && pass "abc CSV parses: header and 6 rows" || fail "abc CSV does not parse as expected"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0][0] == "RANK" and rows[0][-1] == "CLASS", rows[0]
assert len(rows) == 7, rows
assert rows[1][2] == "A大" and rows[1][-1] == "A", rows[1]
PY

finish
