# End to end: setting up a planning year through the real tier binary. The
# administrator builds the organisation; a BU VP creates a cycle, sets its
# policy, quotas and criteria, and opens it; a changed criteria set becomes a
# new version (shown with --all, with what changed) and marks a scored
# candidate for rescoring; customers are added, a duplicate written with
# full-width letters is refused, a retried request id adds nothing twice,
# cards are updated with version checks; a segment-scoped user cannot tell
# another BU's records from missing ones; a closed cycle refuses changes;
# next year's cycle is derived with a reason; an approver delegates to a
# deputy.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# jq_out EXPR: a Python expression over the JSON on stdout (bound to d).
jq_out() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$OUT" "$1" 2>/dev/null
}

# expect_jq EXPR WANT WHAT
expect_jq() {
	local got
	got=$(jq_out "$1")
	if [ "$got" = "$2" ]; then
		pass "$3 ($1 = $2)"
	else
		fail "$3: $1 is '$got', want '$2'"
	fi
}

# same_message A B WHAT: two error messages are equal once the ids in them
# are replaced by N.
same_message() {
	local a b
	a=$(echo "$1" | sed -E 's/[0-9]+/N/g')
	b=$(echo "$2" | sed -E 's/[0-9]+/N/g')
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		pass "$3 ('$a')"
	else
		fail "$3: '$1' and '$2' differ"
	fi
}

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "the organisation"
tier_as root org add bg 集团
expect_rc 0 "root adds BG 集团"
tier_as root --output json org add bu 华东事业部 --parent 集团
expect_rc 0 "root adds BU 华东事业部"
expect_jq 'd["unit"]["kind"]' bu "the unit is a bu"
expect_jq 'd["unit"]["parent"]' 集团 "its parent is the BG"
tier_as root org add bu 华南事业部 --parent 集团
expect_rc 0 "root adds BU 华南事业部"
tier_as root org add segment 华东 --parent 华东事业部
expect_rc 0 "root adds segment 华东"
tier_as root org add segment 江苏 --parent 华东事业部
expect_rc 0 "root adds segment 江苏"
tier_as root org add segment 广东 --parent 华南事业部
expect_rc 0 "root adds segment 广东"
tier_as root org add bu 华东事业部 --parent 集团
expect_rc 8 "a BU name is unique"
expect_err '华东事业部' "the refusal names the unit"
tier_as root org add segment 浙江 --parent 不存在
expect_rc 7 "a segment of an unknown BU"
expect_err 'no BU "不存在"' "the refusal names the missing parent"
tier_as root org add bu 无主
expect_rc 2 "a BU needs --parent"
tier_as root org add segment 'a,b' --parent 华东事业部
expect_rc 9 "',' is not allowed in a unit name"

add_person root buvp bu_vp 'bu:华东事业部'
add_person root buvp2 bu_vp 'bu:华南事业部'
add_person root bgvp bg_vp 'bg:集团'
add_person root sm segment_mgr 'segments:华东'
add_person root aud auditor

tier_as sm org add bg 另一个
expect_rc 6 "only an admin adds units"
tier_as sm org list
expect_rc 0 "sm lists the units it sees"
expect_out "KIND" "the table has a header"
expect_out "华东事业部" "sm sees its BU"
expect_out "华东" "sm sees its segment"
expect_no_out "华南事业部" "sm does not see the other BU"
expect_no_out "江苏" "sm does not see a segment outside its scope"
tier_as root --output json org list
expect_rc 0 "org list --output json"
expect_jq 'len(d["units"])' 6 "root sees all six units"
expect_jq 'd["units"][0]["kind"]' bg "BGs come first"

note "a cycle and its policy"
tier_as buvp --output json cycle create --bu 华东事业部 --year 2027
expect_rc 0 "buvp creates the 2027 cycle"
CYCLE=$(json_get cycle.id)
[ -n "$CYCLE" ] || die "cycle create printed no id"
expect_jq 'd["cycle"]["state"]' drafting "a new cycle is drafting"
expect_jq 'd["cycle"]["version"]' 1 "at version 1"
expect_jq 'd["cycle"]["policy"]["min_score"]' 50.0 "default minimum 50"
expect_jq 'd["cycle"]["policy"]["chain_strategic"]' "['bu_vp', 'bg_vp']" \
	"default strategic chain bu_vp then bg_vp"
expect_jq '[q["segment"] for q in d["cycle"]["quotas"]]' "['华东', '江苏']" \
	"the quotas list the BU's segments"
tier_as buvp cycle create --bu 华东事业部 --year 2027
expect_rc 8 "one cycle per BU and year"
expect_err "cycle $CYCLE" "the refusal names the existing cycle"
tier_as buvp cycle create --bu 华南事业部 --year 2027
expect_rc 7 "a BU outside buvp's scope"
expect_err 'no BU "华南事业部"' "it looks like a BU that does not exist"
tier_as sm cycle create --bu 华东事业部 --year 2028
expect_rc 6 "a segment manager may not create cycles"
tier_as buvp cycle create --bu 华东事业部 --year 1999
expect_rc 9 "a year out of range"

tier_as buvp --output json cycle set "$CYCLE" --min-score 55 \
	--chain key=bu_vp,bu_vp --quota 华东=10 --quota 江苏=4
expect_rc 0 "buvp sets the minimum, the key chain and quotas"
expect_jq 'd["cycle"]["version"]' 2 "the change made version 2"
expect_jq 'd["cycle"]["policy"]["min_score"]' 55.0 "minimum 55"
expect_jq 'd["cycle"]["policy"]["cut_strategic"]' 85.0 "other cut-offs kept"
expect_jq 'd["cycle"]["policy"]["chain_key"]' "['bu_vp', 'bu_vp']" \
	"the key chain changed"
expect_jq 'd["cycle"]["policy"]["chain_general"]' "['bu_vp']" \
	"the general chain kept"
expect_jq '[q["quota"] for q in d["cycle"]["quotas"]]' "[10, 4]" "quotas set"
tier_as buvp cycle set "$CYCLE" --cut-key 90
expect_rc 9 "the key cut-off may not exceed the strategic one"
expect_err "cut-off" "the refusal names the cut-off"
tier_as buvp cycle set "$CYCLE" --quota 广东=3
expect_rc 7 "a quota for another BU's segment"
tier_as buvp cycle set "$CYCLE" --chain key=bu_vp,admin
expect_rc 9 "admin cannot approve a step"
tier_as buvp cycle set "$CYCLE" --min-score 60 --if-version 1
expect_rc 8 "a stale --if-version is a conflict"
expect_err "was changed by buvp" "the conflict says who changed it"
expect_err "version 2" "the conflict names the current version"
tier_as sm cycle show "$CYCLE"
expect_rc 0 "sm sees the cycle of its BU"
expect_out "华东" "sm's view has its segment's quota"
expect_no_out "江苏" "but not a segment outside its scope"

note "criteria while drafting"
tier_as buvp cycle open "$CYCLE"
expect_rc 9 "a cycle without criteria cannot open"
expect_err_i "no criteria" "the refusal says why"
tier_as buvp criteria set "$CYCLE" --criterion 'reach:40:0-10' \
	--criterion 'fit:40:0-5'
expect_rc 9 "weights must sum to 100"
expect_err "80" "the refusal gives the sum"
tier_as buvp criteria set "$CYCLE" --criterion 'reach:50:0-10' \
	--criterion 'Reach:50:0-10'
expect_rc 9 "two criteria may not share a name"
tier_as buvp criteria set "$CYCLE" --criterion 'reach40:0-10'
expect_rc 2 "a malformed criterion is a usage error"
tier_as buvp criteria set "$CYCLE" --criterion 'reach:50:0-10:market reach' \
	--criterion 'fit:50:0-5'
expect_rc 0 "buvp drafts criteria"
tier_as buvp --output json criteria set "$CYCLE" \
	--criterion 'reach:40:0-10:market reach' --criterion 'fit:30:0-5' \
	--criterion 'size:30:0-100:employees, scaled'
expect_rc 0 "buvp replaces the draft"
expect_jq 'd["criteria_set"]["version"]' 1 "the draft stays version 1"
expect_jq 'len(d["criteria_set"]["criteria"])' 3 "with three criteria"
expect_jq 'd["cycle"]["criteria_version"]' 1 "the cycle's criteria version is 1"

tier_as buvp --output json cycle open "$CYCLE"
expect_rc 0 "buvp opens the cycle"
expect_jq 'd["cycle"]["state"]' open "the cycle is open"
tier_as buvp cycle set "$CYCLE" --min-score 60
expect_rc 9 "the policy is fixed once open"
tier_as sm --output json criteria show "$CYCLE"
expect_rc 0 "sm reads the criteria"
expect_jq 'd["sets"][0]["frozen"]' true "opening froze them"
expect_jq 'd["sets"][0]["in_force"]' true "version 1 is in force"

note "a scored candidate, then changed criteria"
tier_as sm --output json customer add --bu 华东事业部 'ＡＢＣ有限公司' \
	--industry 制造 --region 上海
expect_rc 0 "sm adds a customer with a full-width name"
CUST=$(json_get customer.id)
[ -n "$CUST" ] || die "customer add printed no id"
expect_jq 'd["customer"]["version"]' 1 "a new customer is at version 1"
expect_jq 'd["customer"]["missing"]' \
	"['size', 'contacts', 'credit_limit', 'payment_terms', 'revenue', 'profile', 'key_people', 'transaction_status']" \
	"the empty card fields are missing"
tier_as sm --output json candidate propose --cycle "$CYCLE" --segment 华东 \
	--customer "$CUST"
expect_rc 0 "sm proposes the customer"
CAND=$(json_get candidate.id)
tier_as sm --output json candidate score "$CAND" reach=8 fit=4 size=50
expect_rc 0 "sm scores every criterion"
expect_jq 'd["candidate"]["state"]' scored "the candidate is scored"

tier_as buvp criteria set "$CYCLE" --criterion 'reach:30:0-10:market reach' \
	--criterion 'fit:30:0-5' --criterion 'size:30:0-100:employees, scaled' \
	--criterion 'growth:10:0-10'
expect_rc 9 "a change while open needs a reason"
expect_err_i "reason" "the refusal asks for one"
tier_as buvp criteria set "$CYCLE" --criterion 'reach:40:0-10:market reach' \
	--criterion 'fit:30:0-5' --criterion 'size:30:0-100:employees, scaled' \
	--reason 'no change'
expect_rc 9 "the same criteria again are not a new version"
tier_as buvp --output json criteria set "$CYCLE" \
	--criterion 'reach:30:0-10:market reach' --criterion 'fit:30:0-10' \
	--criterion 'growth:40:0-10:expected growth' \
	--reason '增长比规模更重要'
expect_rc 0 "buvp changes the criteria of the open cycle"
expect_jq 'd["criteria_set"]["version"]' 2 "that is version 2"
expect_jq 'd["criteria_set"]["frozen"]' true "fixed at once"
expect_jq '"reach: weight 40 -> 30" in d["criteria_set"]["changes"]' true \
	"the changes name the weight change"
expect_jq '"fit: scale 0-5 -> 0-10" in d["criteria_set"]["changes"]' true \
	"the changes name the scale change"
expect_jq '"added growth" in d["criteria_set"]["changes"]' true \
	"the changes name the added criterion"
expect_jq '"removed size" in d["criteria_set"]["changes"]' true \
	"the changes name the removed criterion"
CYCLE_VERSION=$(json_get cycle.version)

tier_as sm criteria show "$CYCLE" --all
expect_rc 0 "criteria show --all"
expect_out "version 1" "version 1 is listed"
expect_out "version 2 (in force, frozen)" "version 2 is in force"
expect_out "增长比规模更重要" "with its reason"
expect_out "growth" "and its new criterion"
tier_as sm --output json criteria show "$CYCLE" --all
expect_rc 0 "criteria show --all --output json"
expect_jq '[s["version"] for s in d["sets"]]' "[1, 2]" "oldest first"
expect_jq '[s["in_force"] for s in d["sets"]]' "[False, True]" \
	"only the latest is in force"
tier_as sm --output json criteria show "$CYCLE" --version 1
expect_rc 0 "criteria show --version 1"
expect_jq 'd["sets"][0]["criteria"][2]["name"]' size "version 1 still has size"
tier_as sm criteria show "$CYCLE" --version 7
expect_rc 7 "a version that does not exist"

tier_as sm --output json candidate show "$CAND"
expect_rc 0 "the candidate after the change"
expect_jq 'd["candidate"]["needs_rescore"]' true "needs rescoring"
expect_jq 'd["candidate"]["state"]' scored "still scored"
tier_as aud --output json audit show candidate "$CAND"
expect_rc 0 "the candidate's history"
if grep -q 'candidate.rescore' "$OUT"; then
	pass "the marking is in the audit log"
else
	fail "no candidate.rescore entry in the candidate's history"
fi

note "customers"
tier_as sm customer add --bu 华东事业部 'abc有限公司'
expect_rc 8 "a name differing only in width and case is a duplicate"
expect_err "customer $CUST" "the refusal names the existing customer"
expect_err 'ＡＢＣ有限公司' "and its name as written"
tier_as sm customer add --bu 华东事业部 '  ａｂｃ有限公司 '
expect_rc 8 "surrounding spaces do not make another customer"
tier_as sm --output json customer add --bu 华东事业部 '东方 电气' \
	--credit-limit 500000 --revenue 2025=1200000 --revenue 2026=900000
expect_rc 0 "sm adds a second customer with revenue"
CUST2=$(json_get customer.id)
expect_jq '[r["year"] for r in d["customer"]["revenue"]]' "[2025, 2026]" \
	"revenue by year"
tier_as sm --request-id setup-retry-1 --output json customer add \
	--bu 华东事业部 '重试贸易'
expect_rc 0 "sm adds a customer under a request id"
RETRIED=$(json_get customer.id)
tier_as sm --request-id setup-retry-1 --output json customer add \
	--bu 华东事业部 '重试贸易'
expect_rc 0 "the same request retried is answered, not refused"
expect_jq 'd["customer"]["id"]' "$RETRIED" "with the customer it made the first time"
tier_as sm --output json customer list --search 重试
expect_jq 'len(d["customers"])' 1 "and the customer exists once"
tier_as sm --output json customer update "$CUST" --size '500-1000' \
	--contacts '王经理 138' --revenue 2026=300000
expect_rc 0 "sm completes the card"
expect_jq 'd["customer"]["version"]' 2 "the update made version 2"
expect_jq 'd["customer"]["industry"]' 制造 "fields not given are kept"
expect_jq 'd["customer"]["missing"]' "['credit_limit', 'payment_terms', 'profile', 'key_people', 'transaction_status']" \
	"fewer fields are missing"
tier_as sm customer update "$CUST" --region 北京 --if-version 1
expect_rc 8 "a stale --if-version is a conflict"
expect_err "customer $CUST was changed by sm" "the conflict says who"
tier_as sm customer update "$CUST2" --name 'ＡＢＣ 有限公司'
expect_rc 0 "a name with a space is another name"
tier_as sm customer update "$CUST2" --name 'abc有限公司'
expect_rc 8 "renaming onto an existing name is refused"
tier_as sm --output json customer list --search ａｂｃ
expect_rc 0 "search by a full-width fragment"
expect_jq 'sorted(c["id"] for c in d["customers"])' \
	"[$CUST, $CUST2]" "both ABC customers match"
tier_as sm customer list
expect_rc 0 "customer list as a table"
expect_out "MISSING" "the table has a header"
expect_out "ＡＢＣ 有限公司" "the table lists the customers"

note "out of scope looks missing"
tier_as buvp2 --output json customer add --bu 华南事业部 '广州机械'
expect_rc 0 "buvp2 adds a customer to the other BU"
SOUTH=$(json_get customer.id)
tier_as buvp2 --output json cycle create --bu 华南事业部 --year 2027
expect_rc 0 "buvp2 creates a cycle of the other BU"
SOUTH_CYCLE=$(json_get cycle.id)

tier_as sm customer show "$SOUTH"
expect_rc 7 "sm cannot see the other BU's customer"
HIDDEN=$(grep 'error:' "$ERR")
tier_as sm customer show 987654
expect_rc 7 "a customer that does not exist"
same_message "$HIDDEN" "$(grep 'error:' "$ERR")" \
	"the hidden customer looks exactly like a missing one"
tier_as sm cycle show "$SOUTH_CYCLE"
expect_rc 7 "sm cannot see the other BU's cycle"
HIDDEN=$(grep 'error:' "$ERR")
tier_as sm cycle show 987654
expect_rc 7 "a cycle that does not exist"
same_message "$HIDDEN" "$(grep 'error:' "$ERR")" \
	"the hidden cycle looks exactly like a missing one"
tier_as sm criteria show "$SOUTH_CYCLE"
expect_rc 7 "nor its criteria"
tier_as sm customer update "$SOUTH" --region 广州
expect_rc 7 "nor change the other BU's customer"
tier_as sm customer add --bu 华南事业部 '某公司'
expect_rc 7 "nor add customers to the other BU"
HIDDEN=$(grep 'error:' "$ERR")
tier_as sm customer add --bu 不存在 '某公司'
same_message "$(echo "$HIDDEN" | sed 's/华南事业部/X/')" \
	"$(grep 'error:' "$ERR" | sed 's/不存在/X/')" \
	"the hidden BU looks exactly like a missing one"
tier_as sm --output json customer list
expect_jq "$SOUTH in [c['id'] for c in d['customers']]" false \
	"the other BU's customer is not listed"
tier_as sm --output json cycle list
expect_jq "[c['id'] for c in d['cycles']]" "[$CYCLE]" \
	"sm lists only its BU's cycle"
tier_as aud --output json customer list
expect_jq "$SOUTH in [c['id'] for c in d['customers']]" true \
	"the auditor sees every customer"

note "closing"
tier_as buvp cycle close "$CYCLE" --if-version 1
expect_rc 8 "closing with a stale version is a conflict"
tier_as buvp --output json cycle close "$CYCLE"
expect_rc 0 "buvp closes the cycle"
expect_jq 'd["cycle"]["state"]' closed "the cycle is closed"
tier_as buvp cycle set "$CYCLE" --quota 华东=12
expect_rc 9 "a closed cycle's quotas cannot change"
expect_err "cycle $CYCLE (2027) is closed; nothing in it can change" \
	"the refusal says the cycle is closed"
tier_as buvp criteria set "$CYCLE" --criterion 'reach:100:0-10' --reason late
expect_rc 9 "a closed cycle's criteria cannot change"
expect_err "is closed; nothing in it can change" "for the same reason"
tier_as buvp cycle open "$CYCLE"
expect_rc 9 "a closed cycle does not reopen"
tier_as sm candidate score "$CAND" reach=9 fit=9 growth=9
expect_rc 9 "nor can its candidates change"

note "next year"
tier_as buvp cycle derive "$CYCLE" --year 2028
expect_rc 2 "deriving needs a reason"
tier_as buvp cycle derive "$CYCLE" --year 2027 --reason same
expect_rc 9 "a derived cycle is for a later year"
tier_as buvp --output json cycle derive "$CYCLE" --year 2028 \
	--reason '沿用2027年的标准'
expect_rc 0 "buvp derives the 2028 cycle"
NEXT=$(json_get cycle.id)
expect_jq 'd["cycle"]["state"]' drafting "the new cycle is drafting"
expect_jq 'd["cycle"]["derived_from"]' "$CYCLE" "it names its source"
expect_jq 'd["cycle"]["derive_reason"]' 沿用2027年的标准 "with the reason"
expect_jq 'd["cycle"]["policy"]["min_score"]' 55.0 "the policy is copied"
expect_jq '[q["quota"] for q in d["cycle"]["quotas"]]' "[10, 4]" \
	"the quotas are copied"
expect_jq 'd["cycle"]["criteria_version"]' 1 "it has criteria"
tier_as buvp --output json criteria show "$NEXT"
expect_rc 0 "the derived criteria"
expect_jq '[k["name"] for k in d["sets"][0]["criteria"]]' \
	"['reach', 'fit', 'growth']" "the criteria in force were copied"
expect_jq '"copied from cycle" in d["sets"][0]["changes"]' true \
	"the copy says where it came from"
expect_jq 'd["sets"][0]["frozen"]' false "the copy is a draft"
tier_as buvp --output json criteria set "$NEXT" \
	--criterion 'reach:50:0-10:market reach' --criterion 'fit:20:0-10' \
	--criterion 'growth:30:0-10:expected growth' --reason '更看重覆盖'
expect_rc 0 "buvp adjusts next year's draft"
expect_jq 'd["criteria_set"]["version"]' 1 "still the draft"
expect_jq '"reach: weight 30 -> 50" in d["criteria_set"]["changes"]' true \
	"the changes are against last year's criteria"
tier_as buvp cycle derive "$CYCLE" --year 2028 --reason again
expect_rc 8 "2028 exists already"
tier_as buvp2 cycle derive "$CYCLE" --year 2029 --reason theirs
expect_rc 7 "another BU's VP cannot see the cycle to derive from"

note "delegation"
TODAY=$(date -u +%F)
NEXT_WEEK=$(date -u -d '+7 days' +%F)
FAR=$(date -u -d '+400 days' +%F)
tier_as buvp --output json delegate add bgvp --from "$TODAY" --until "$NEXT_WEEK"
expect_rc 0 "buvp delegates to bgvp for a week"
expect_jq 'd["delegation"]["deputy"]' bgvp "the deputy is bgvp"
expect_jq 'd["delegation"]["approver"]' buvp "the approver is buvp"
tier_as buvp delegate add bgvp --from "$TODAY" --until "$FAR"
expect_rc 9 "a delegation of more than 366 days"
tier_as buvp delegate add buvp --from "$TODAY" --until "$NEXT_WEEK"
expect_rc 9 "nobody is their own deputy"
tier_as buvp delegate add nobody --from "$TODAY" --until "$NEXT_WEEK"
expect_rc 7 "an unknown deputy"
tier_as buvp delegate add aud --from "$TODAY" --until "$NEXT_WEEK"
expect_rc 9 "an auditor cannot be a deputy"
tier_as buvp delegate add bgvp --from 2027-02-30 --until 2027-03-02
expect_rc 2 "a day that does not exist"
tier_as sm delegate add bgvp --from "$TODAY" --until "$NEXT_WEEK"
expect_rc 6 "a segment manager has no approvals to delegate"
tier_as bgvp delegate list
expect_rc 0 "the deputy lists its delegations"
expect_out "buvp" "it sees the delegation it received"
expect_out "active" "which is active"
expect_out "$NEXT_WEEK" "until the last day given"
tier_as sm --output json delegate list
expect_rc 0 "sm lists its delegations"
expect_jq 'len(d["delegations"])' 0 "sm has none"
tier_as aud --output json delegate list
expect_jq 'len(d["delegations"])' 1 "the auditor sees all of them"

note "the record of it all"
tier_as aud --output json audit show cycle "$CYCLE"
expect_rc 0 "the cycle's history"
for action in cycle.create cycle.update criteria.set cycle.open cycle.close; do
	if grep -q "$action" "$OUT"; then
		pass "the history has $action"
	else
		fail "the cycle's history lacks $action"
	fi
done
tier_as aud audit verify
expect_rc 0 "the audit chain verifies"

tierd_stop
finish
