# End to end: the visit card and the revisit plan through the real tier
# binary. Visits are recorded (dates, visitor, next visit checked; roles and
# scope enforced; nothing written on a refusal), listed with filters; two
# approved candidates make targets whose plan shows the last and next visit
# and the overdue flag; a visit long in the past makes its target overdue,
# which the escalation timer announces once per overdue period as a
# customer.visit_overdue change naming the owner, seen only within scope.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# jget EXPR: a Python expression over the JSON document on stdout (bound
# to d), printed (booleans as true/false).
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$OUT" "$1" 2>/dev/null
}

# expect_jget EXPR WANT WHAT
expect_jget() {
	local got
	got=$(jget "$1")
	if [ "$got" = "$2" ]; then
		pass "$3 ($1 = $2)"
	else
		fail "$3: $1 is '$got', want '$2'"
	fi
}

# overdue_alerts CUSTOMER: how many customer.visit_overdue entries the
# customer's history holds (as vp sees it).
overdue_alerts() {
	tier_as vp --output json audit show customer "$1"
	jget 'len([e for e in d["entries"] if e["action"] == "customer.visit_overdue"])'
}

# wait_alerts CUSTOMER N: waits (at most 10 s) until N alerts exist.
wait_alerts() {
	local i
	for i in $(seq 1 50); do
		[ "$(overdue_alerts "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

TODAY=$(date -u +%F)
SOON=$(date -u -d '+30 days' +%F)
AGO200=$(date -u -d '-200 days' +%F)

# The escalation pass runs every second.
TIERD_EXTRA=("[feed]" "escalation_check = 1" "step_limit_scale = 1")
tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation, people, a cycle whose approved candidates are targets"
for unit in "bg 集团" "bu 华东事业部 --parent 集团" "segment 华东 --parent 华东事业部" \
	"bu 西部 --parent 集团" "segment 西南 --parent 西部"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	[ "$RC" -eq 0 ] || die "org add $unit: $(cat "$ERR")"
done
add_person root sm segment_mgr 'segments:华东'
add_person root am account_mgr 'segments:华东'
add_person root vp bu_vp 'bu:华东事业部'
add_person root res researcher 'segments:华东'
add_person root aud auditor
add_person root west segment_mgr 'segments:西南'

tier_as vp --output json cycle create --bu 华东事业部 --year 2027
CYCLE=$(jget 'd["cycle"]["id"]')
[ -n "$CYCLE" ] || die "no cycle: $(cat "$ERR")"
tier_as vp criteria set "$CYCLE" --criterion 'fit:100:0-10:fit'
tier_as vp cycle set "$CYCLE" --visit-limit 5000
expect_rc 2 "a visit limit above ten years is refused"
tier_as vp cycle set "$CYCLE" --visit-limit 400 --quota 华东=3
expect_rc 0 "the visit limit of the policy is set to 400 days"
# The audit entry holds the record before the change and after it: the
# visit limit and the quotas live in tables of their own.
tier_as vp --output json audit show cycle "$CYCLE"
if python3 - "$OUT" <<'PY'; then
import json, sys
e = [e for e in json.load(open(sys.argv[1]))["entries"]
     if e["action"] == "cycle.update"][-1]
b, a = e["before"], e["after"]
sys.exit(0 if (b["policy"]["visit_limit_days"], a["policy"]["visit_limit_days"],
               b["quotas"], a["quotas"]) == (90, 400, {}, {"华东": 3}) else 1)
PY
	pass "cycle.update records the visit limit and quotas before and after"
else
	fail "cycle.update audit entry: $(head -c 600 "$OUT")"
fi
tier_as vp --output json cycle show "$CYCLE"
expect_jget 'd["cycle"]["policy"]["visit_limit_days"]' 400 "the policy shows it"
tier_as vp cycle set "$CYCLE" --min-score 40
tier_as vp --output json cycle show "$CYCLE"
expect_jget 'd["cycle"]["policy"]["visit_limit_days"]' 400 \
	"another policy change keeps the visit limit"
tier_as vp cycle open "$CYCLE"
expect_rc 0 "the cycle is open"

# customer NAME [BU]: sm (or west for 西部) adds a customer; sets CUST.
customer() {
	local who=sm
	[ "${2:-华东事业部}" = 西部 ] && who=west
	tier_as "$who" --output json customer add --bu "${2:-华东事业部}" "$1"
	CUST=$(jget 'd["customer"]["id"]')
	[ -n "$CUST" ] || die "customer $1 not added: $(cat "$ERR")"
}
# target CUSTOMER OWNER: proposed, scored, submitted as general, approved.
target() {
	local cand
	tier_as sm --output json candidate propose --cycle "$CYCLE" \
		--segment 华东 --customer "$1"
	cand=$(jget 'd["candidate"]["id"]')
	[ -n "$cand" ] || die "candidate for $1 not proposed: $(cat "$ERR")"
	tier_as sm candidate score "$cand" fit=6
	tier_as sm candidate submit "$cand" --tier general --owner "$2"
	tier_as vp --output json candidate approve "$cand"
	[ "$(jget 'd["candidate"]["state"]')" = approved ] ||
		die "candidate $cand not approved: $(cat "$ERR")"
}
customer '远方机械'
C1=$CUST
customer '近邻电子'
C2=$CUST
customer '普通商贸'
C3=$CUST
customer '中距客户'
C4=$CUST
customer '西部客户' 西部
CW=$CUST

note "refusals: roles, scope, dates, visitor; nothing is written"
tier_as res visit add "$C3" --date 2026-01-05 --received-by 王 --content x
expect_rc 6 "a researcher cannot record visits"
expect_err_i "role" "the refusal names the role"
tier_as aud visit add "$C3" --date 2026-01-05 --received-by 王 --content x
expect_rc 6 "an auditor cannot record visits"
tier_as west visit add "$C3" --date 2026-01-05 --received-by 王 --content x
expect_rc 7 "a customer of another BU looks missing"
expect_err "no customer $C3" "the refusal is the missing-customer one"
tier_as am visit add "$C3" --date 2026-02-30 --received-by 王 --content x
expect_rc 2 "a day that does not exist is a usage error"
expect_err "2026-02-30" "the usage error names the date"
tier_as am visit add "$C3" --date 1999-12-31 --received-by 王 --content x
expect_rc 9 "a date before 2000 is refused by the server"
expect_err "YYYY-MM-DD" "the hint says how to write a date"
tier_as am --output json visit add "$C3" --date 2999-01-01 --received-by 王 \
	--content x
expect_rc 9 "a visit in the future is refused"
expect_jget 'd["error"]["field"]' visit_add.visit.visit_date \
	"the error names the date field"
expect_err "after today" "the refusal says the date is after today"
tier_as am visit add "$C3" --date 2026-01-05 --next 2026-01-05 \
	--received-by 王 --content x
expect_rc 9 "the next visit must come after the visit"
expect_err "not after" "the refusal says why"
tier_as am visit add "$C3" --date 2026-01-05 --visitor west --received-by 王 \
	--content x
expect_rc 9 "the visitor must see the customer's BU"
expect_err "west cannot see" "the refusal names the visitor"
tier_as am visit add "$C3" --date 2026-01-05 --visitor nobody \
	--received-by 王 --content x
expect_rc 7 "an unknown visitor"
tier_as am visit add "$C3" --date 2026-01-05 --visitor root --received-by 王 \
	--content x
expect_rc 9 "an administrator does not visit customers"
tier_as am visit add "$C3" --date 2026-01-05 --received-by 王
expect_rc 2 "the content is required"
tier_as vp --output json visit list
expect_rc 0 "visit list"
expect_jget 'len(d["visits"])' 0 "no refused visit was recorded"

note "record visits"
tier_as am --output json visit add "$C3" --date 2026-01-05 \
	--received-by '采购部 王经理' --content '介绍新产品' --progress 询价中 \
	--next 2026-03-01 --request-id visit-retry-1
expect_rc 0 "am records a visit"
V1=$(jget 'd["visit"]["id"]')
expect_jget 'd["visit"]["visitor"]' am "the visitor defaults to the caller"
expect_jget 'd["visit"]["next_visit"]' 2026-03-01 "the next visit is kept"
expect_jget 'd["visit"]["customer"]' 普通商贸 "the customer is named"
tier_as am --output json visit add "$C3" --date 2026-01-05 \
	--received-by '采购部 王经理' --content '介绍新产品' --progress 询价中 \
	--next 2026-03-01 --request-id visit-retry-1
expect_jget 'd["visit"]["id"]' "$V1" "a retried request returns the same visit"
tier_as sm visit add "$C3" --date 2026-02-10 --visitor am \
	--received-by 王经理 --content 报价
expect_rc 0 "sm records a visit made by am"
expect_out "visitor:" "the visit prints as labelled lines"
tier_as vp --output json visit list --customer "$C3"
expect_jget 'len(d["visits"])' 2 "two visits, the retry made none"
expect_jget 'd["visits"][0]["visit_date"]' 2026-02-10 "newest first"
tier_as vp --output json visit list --from 2026-02-01 --to 2026-02-28
expect_jget 'len(d["visits"])' 1 "the period filter"
tier_as vp visit list --from 2026-03-01 --to 2026-02-01
expect_rc 9 "a period that ends before it starts"
tier_as vp --output json visit list --visitor sm
expect_jget 'len(d["visits"])' 0 "sm visited nobody"
tier_as west --output json visit list
expect_jget 'len(d["visits"])' 0 "west sees no visit of another BU"
tier_as west visit list --customer "$C3"
expect_rc 7 "west cannot list the visits of an invisible customer"
tier_as vp --output csv visit list --customer "$C3"
expect_rc 0 "csv"
expect_out "ID,DATE,CUSTOMER" "csv output has the header record"

note "targets and the revisit plan"
target "$C1" am
target "$C2" sm
target "$C4" am
tier_as am visit add "$C4" --date "$AGO200" --received-by 赵 --content 拜访
expect_rc 0 "a visit 200 days ago to target C4"
tier_as am --output json visit add "$C1" --date 2000-01-01 \
	--received-by 张总 --content 首访 --next 2000-02-01
expect_rc 0 "an old visit to target C1"
tier_as sm --output json visit add "$C2" --date "$TODAY" \
	--received-by 李总 --content 回访 --next "$SOON"
expect_rc 0 "a visit today to target C2"
tier_as vp --output json visit plan
expect_rc 0 "visit plan"
expect_jget 'len(d["targets"])' 3 "three targets; a customer without approval is none"
expect_jget '[t["customer_id"] for t in d["targets"]]' "[$C1, $C4, $C2]" \
	"sorted by owner, then due date"
expect_jget 'd["targets"][0]["overdue"]' true "C1 is overdue"
expect_jget 'd["targets"][0]["last_visit"]' 2000-01-01 "C1's last visit"
expect_jget 'd["targets"][0]["due"]' 2000-02-01 "due at the planned next visit"
expect_jget 'd["targets"][0]["limit_days"]' 400 "the cycle's limit applies"
expect_jget 'd["targets"][1]["overdue"]' false "200 days is within 400"
# Counted to the server's today, which is a day later if midnight (UTC)
# passed since the visits were recorded.
PLAN_TODAY=$(jget 'd["today"]')
days_to_plan() {
	echo $((($(date -u -d "$PLAN_TODAY" +%s) - $(date -u -d "$1" +%s)) / 86400))
}
expect_jget 'd["targets"][1]["days_since"]' "$(days_to_plan "$AGO200")" \
	"200 days since C4's visit"
expect_jget 'd["targets"][0]["days_since"] > 9000' true "days since the visit"
expect_jget 'd["targets"][2]["overdue"]' false "C2 was visited today"
expect_jget 'd["targets"][2]["days_since"]' "$(days_to_plan "$TODAY")" \
	"zero days since"
expect_jget 'd["targets"][2]["next_visit"]' "$SOON" "C2's planned visit"
tier_as vp --output json visit plan --owner sm
expect_jget '[t["customer_id"] for t in d["targets"]]' "[$C2]" "--owner sm"
tier_as vp visit plan
expect_out "overdue" "the table marks the overdue target"
tier_as vp visit plan --owner nobody
expect_rc 7 "an unknown owner"
tier_as vp --output json visit overdue
expect_jget '[t["customer_id"] for t in d["targets"]]' "[$C1]" \
	"only C1 is overdue"
tier_as west --output json visit overdue
expect_jget 'len(d["targets"])' 0 "west sees no target of another BU"
tier_as vp visit overdue --bu 西部
expect_rc 7 "a BU out of scope looks missing"

note "escalation: once per overdue period, to the owner"
wait_alerts "$C1" 1 && pass "the timer announced C1" ||
	fail "no customer.visit_overdue for C1: $(cat "$OUT")"
tier_as vp --output json audit show customer "$C1"
expect_jget '[e["reason"] for e in d["entries"] if e["action"] == "customer.visit_overdue"][0].startswith("not visited for")' \
	true "the reason says how long"
expect_jget '[e["user"] for e in d["entries"] if e["action"] == "customer.visit_overdue"][0]' \
	"" "written by the server"
sleep 2.5
expect_jget_alerts() { [ "$(overdue_alerts "$1")" = "$2" ]; }
expect_jget_alerts "$C1" 1 && pass "not announced twice for the same period" ||
	fail "C1 announced again: $(cat "$OUT")"
expect_jget_alerts "$C2" 0 && pass "C2 (visited today) is not announced" ||
	fail "C2 announced: $(cat "$OUT")"
expect_jget_alerts "$C4" 0 && pass "C4 (within its limit) is not announced" ||
	fail "C4 announced: $(cat "$OUT")"

timeout 3 "$TIER" --config-dir "$(person_dir am)" --server "$SERVER" \
	--output json customer list --watch --since 1 >"$E2E_TMP/am.watch" 2>/dev/null
python3 - "$E2E_TMP/am.watch" "$C1" <<'PY' && pass "the owner's feed carries the alert with notify_user" || fail "no alert in am's feed: $(tail -n 3 "$E2E_TMP/am.watch")"
import json, sys
evs = [json.loads(l)["event"] for l in open(sys.argv[1], encoding="utf-8") if '"event"' in l]
hit = [e for e in evs if e["action"] == "customer.visit_overdue"]
assert len(hit) == 1 and hit[0]["entity_id"] == int(sys.argv[2]) and hit[0]["notify_user"] == "am", evs
PY
timeout 3 "$TIER" --config-dir "$(person_dir west)" --server "$SERVER" \
	--output json customer list --watch --since 1 >"$E2E_TMP/west.watch" 2>/dev/null
if grep -q visit_overdue "$E2E_TMP/west.watch"; then
	fail "west saw an alert about a customer of another BU"
else
	pass "west's feed does not carry the alert"
fi

tier_as am visit add "$C1" --date 2000-03-01 --received-by 张总 --content 二访
expect_rc 0 "another old visit: a new overdue period"
wait_alerts "$C1" 2 && pass "the new period is announced" ||
	fail "no second alert: $(cat "$OUT")"
tier_as am visit add "$C1" --date "$TODAY" --received-by 张总 --content 三访
expect_rc 0 "a visit today"
tier_as vp --output json visit overdue
expect_jget 'len(d["targets"])' 0 "nothing is overdue any more"
sleep 2
expect_jget_alerts "$C1" 2 && pass "a visited target is not announced" ||
	fail "C1 announced after a visit today: $(cat "$OUT")"

note "customer show carries the visit card"
tier_as vp customer show "$C1"
expect_rc 0 "customer show"
expect_out "3 recorded" "the visit count"
expect_out "三访" "the latest visit is shown"
tier_as vp --output json customer show "$C1"
expect_jget 'len(d["recent_visits"])' 3 "recent visits in JSON"
expect_jget 'd["recent_visits"][0]["visit_date"]' "$TODAY" "newest first"
expect_jget 'd["customer"]["id"]' "$C1" "the customer itself"
tier_as west customer show "$C1"
expect_rc 7 "out of scope stays invisible"

note "help"
tier_as vp visit --help
expect_out "overdue" "visit help lists its commands"
tier_as vp help visit plan
expect_out "--owner" "visit plan help lists --owner"

finish
