# End to end: the candidate workflow through the real tier binary. An
# organisation, a cycle with criteria and customers are set up; then
# candidates are proposed, scored (scales checked), submitted with and
# without justification (a score below the minimum cannot be), approved
# through a two-step strategic chain by a bu_vp and a bg_vp, refused by four
# eyes, rejected and returned (with reasons), resubmitted; a pending candidate
# is locked, a stale --if-version is a conflict, a retried --request-id
# changes nothing twice, out-of-scope candidates look missing, and the queue,
# targets and funnel show what they should.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

# jget EXPR: evaluates a Python expression over the JSON document on stdout of
# the last command (bound to d) and prints the result.
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())' "$OUT" "$1" 2>/dev/null
}

# expect_jget EXPR WANT WHAT: the expression over the last JSON output is WANT.
expect_jget() {
	local got
	got=$(jget "$1")
	if [ "$got" = "$2" ]; then
		pass "$3 ($1 = $2)"
	else
		fail "$3: $1 is '$got', want '$2'"
	fi
}

# add_user NAME ROLE SCOPE: root adds a user, who enrols at once.
add_user() {
	tier_as root user add "$1" --role "$2" --scope "$3"
	expect_rc 0 "root adds $1 ($2)"
	local code
	code=$(code_in "$OUT")
	[ -n "$code" ] || die "user add $1 printed no code"
	enroll_as "$1" "$code"
}

# add_customer NAME: sm adds a customer of the BU; sets CUST to its id.
add_customer() {
	tier_as sm --output json customer add --bu 华东事业部 "$1" \
		--industry 制造 --region 上海 --size 500 --contacts 'Li 138' \
		--credit-limit 100000 --payment-terms 'net 30' \
		--revenue 2026=1000000
	expect_rc 0 "customer $1 added"
	CUST=$(jget 'd["customer"]["id"]')
	[ -n "$CUST" ] || die "customer add printed no id"
}

# propose CUSTOMER [SEGMENT]: sm proposes; sets CAND to the new id.
propose() {
	tier_as sm --output json candidate propose --cycle "$CYCLE" \
		--segment "${2:-华东}" --customer "$1"
	expect_rc 0 "candidate proposed for customer $1"
	CAND=$(jget 'd["candidate"]["id"]')
	[ -n "$CAND" ] || die "candidate propose printed no id"
}

# show_as PERSON ID: the candidate as JSON, for expect_jget.
show_as() {
	tier_as "$1" --output json candidate show "$2"
}

tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"

note "organisation, people, cycle, criteria, customers"
tier_as root org add bg 集团
expect_rc 0 "root adds the BG"
tier_as root org add bu 华东事业部 --parent 集团
expect_rc 0 "root adds the BU"
tier_as root org add segment 华东 --parent 华东事业部
expect_rc 0 "root adds segment 华东"
tier_as root org add segment 华南 --parent 华东事业部
expect_rc 0 "root adds segment 华南"
tier_as root org add bu 西部 --parent 集团
expect_rc 0 "root adds a second BU"
tier_as root org add segment 西南 --parent 西部
expect_rc 0 "root adds segment 西南"

add_user sm segment_mgr 'segments:华东'
add_user am account_mgr 'segments:华东'
add_user vp bu_vp 'bu:华东事业部'
add_user vp2 bu_vp 'bu:华东事业部'
add_user bg bg_vp 'bg:集团'
add_user west segment_mgr 'segments:西南'

tier_as vp --output json cycle create --bu 华东事业部 --year 2027
expect_rc 0 "vp creates the 2027 cycle"
CYCLE=$(jget 'd["cycle"]["id"]')
[ -n "$CYCLE" ] || die "cycle create printed no id"
tier_as vp criteria set "$CYCLE" --criterion 'reach:40:0-10:market reach' \
	--criterion 'fit:30:0-5' --criterion 'size:30:0-100'
expect_rc 0 "vp sets the criteria"
# General targets need two bu_vp steps here, so four eyes can be seen
# refusing one approver twice.
tier_as vp cycle set "$CYCLE" --quota 华东=4 --chain general=bu_vp,bu_vp
expect_rc 0 "vp sets a quota and the general chain"

add_customer 'ABC有限公司'
C1=$CUST
add_customer '低分贸易'
C2=$CUST
add_customer '双审科技'
C3=$CUST
add_customer '退回工业'
C4=$CUST
add_customer '排队一号'
C5=$CUST
add_customer '排队二号'
C6=$CUST

tier_as sm candidate propose --cycle "$CYCLE" --segment 华东 --customer "$C1"
expect_rc 9 "nothing is proposed while the cycle is drafting"
expect_err_i "not open" "the refusal says the cycle is not open"

tier_as vp cycle open "$CYCLE"
expect_rc 0 "vp opens the cycle"

note "propose"
propose "$C1"
K1=$CAND
show_as sm "$K1"
expect_rc 0 "show the new candidate"
expect_jget 'd["candidate"]["state"]' proposed "a new candidate is proposed"
expect_jget 'd["candidate"]["proposed_by"]' sm "proposed_by names sm"
expect_jget 'd["candidate"]["version"]' 1 "a new candidate is at version 1"
expect_jget '"score" in d["candidate"]["allowed"]' true "sm may score it"
expect_jget '"score: reach" in d["candidate"]["missing"]' true \
	"unscored criteria are missing information"

tier_as sm candidate propose --cycle "$CYCLE" --segment 华东 --customer "$C1"
expect_rc 8 "one candidate per customer and cycle"
expect_err "already candidate $K1" "the refusal names the existing candidate"

tier_as am --output json candidate propose --cycle "$CYCLE" --segment 华南 \
	--customer "$C2"
expect_rc 7 "am cannot propose in a segment outside its scope"
expect_err 'no segment "华南"' "the out-of-scope segment looks missing"

note "out of scope looks like missing"
tier_as west candidate show "$K1"
expect_rc 7 "west cannot see a candidate of another BU"
expect_err "no candidate $K1" "the message is the missing-id one"
tier_as sm candidate show 999999
expect_rc 7 "a missing candidate"
expect_err "no candidate 999999" "same message shape for a missing id"

note "score"
tier_as sm candidate score "$K1" reach=12
expect_rc 9 "a score outside the scale is refused"
expect_err "reach" "the refusal names the criterion"
expect_err "0-10" "the refusal names the scale"
tier_as sm candidate score "$K1" nosuch=1
expect_rc 9 "an unknown criterion is refused"
expect_err "nosuch" "the refusal names the unknown criterion"
tier_as sm candidate score "$K1" reach=zz
expect_rc 2 "a score that is not a number is a usage error"

tier_as sm --output json candidate score "$K1" reach=10 fit=5
expect_rc 0 "sm scores two criteria"
expect_jget 'd["candidate"]["state"]' proposed "still proposed: size unscored"
expect_jget 'd["candidate"]["score_complete"]' false "the score is incomplete"
tier_as sm --output json candidate score "$K1" size=90
expect_rc 0 "sm scores the last criterion"
expect_jget 'd["candidate"]["state"]' scored "every criterion scored: scored"
expect_jget 'd["candidate"]["score"]' 97.0 "40 + 30 + 30 * 0.9 = 97"
expect_jget 'd["candidate"]["suggested_tier"]' strategic "97 suggests strategic"
expect_jget 'd["candidate"]["rank_segment"]' 1 "ranked first in the segment"

tier_as sm candidate explain "$K1"
expect_rc 0 "explain"
expect_out "reach" "explain lists the criteria"
expect_out "97.00" "explain shows the total"

note "submit"
tier_as sm candidate submit "$K1" --tier key --owner am
expect_rc 9 "a tier off the suggestion needs a justification"
expect_err_i "justification" "the refusal asks for a justification"
tier_as sm candidate submit "$K1" --tier strategic --owner nobody
expect_rc 9 "the owner must be a user"
expect_err 'no user "nobody" who can see segment 华东' \
	"the refusal names the unknown owner"
tier_as sm candidate submit "$K1" --tier strategic --owner root
expect_rc 9 "an admin cannot own a target"
tier_as sm candidate submit "$K1" --tier strategic --owner west
expect_rc 9 "the owner must see the segment"
expect_err 'no user "west" who can see segment 华东' \
	"someone outside the segment is answered as no user at all"
expect_no_err "segment_mgr" "the refusal says nothing of west's role"
tier_as sm --output json candidate submit "$K1" --tier strategic --owner am
expect_rc 0 "sm submits K1 as strategic, owner am"
expect_jget 'd["candidate"]["state"]' pending "submitted: pending"
expect_jget '[s["role"] for s in d["candidate"]["chain"]]' "['bu_vp', 'bg_vp']" \
	"the strategic chain is bu_vp then bg_vp"
expect_jget 'd["candidate"]["owner"]' am "the owner is am"

tier_as sm candidate score "$K1" reach=9
expect_rc 9 "a pending candidate is locked"
expect_err "candidate $K1 is pending (step 1 of 2, waiting for bu_vp)" \
	"the refusal says which step it waits for"
expect_err_i "locked" "the refusal says it is locked"

note "two-step strategic approval"
tier_as bg candidate approve "$K1"
expect_rc 6 "bg_vp cannot take the bu_vp step"
tier_as sm candidate approve "$K1"
expect_rc 6 "the submitter cannot approve"
tier_as vp --output json queue
expect_rc 0 "vp's queue"
expect_jget "[i['candidate']['id'] for i in d['items']] == [$K1]" true \
	"vp's queue holds K1"
tier_as vp --output json candidate approve "$K1" --reason "fits the plan"
expect_rc 0 "vp approves step 1"
expect_jget 'd["candidate"]["state"]' pending "still pending after step 1"
expect_jget 'd["candidate"]["step"]' 1 "now at step 2 (index 1)"
expect_jget 'd["candidate"]["chain"][0]["decided_by"]' vp "step 1 decided by vp"
tier_as bg queue
expect_rc 0 "bg's queue"
expect_out "ABC有限公司" "bg's queue shows K1"
tier_as bg --output json candidate approve "$K1"
expect_rc 0 "bg approves step 2"
expect_jget 'd["candidate"]["state"]' approved "approved after the last step"

note "below the minimum, rejection needs a reason"
propose "$C2"
K2=$CAND
tier_as sm candidate score "$K2" reach=1 fit=1 size=10
expect_rc 0 "sm scores K2 low"
tier_as sm candidate submit "$K2" --tier general --owner am
expect_rc 9 "a score below the minimum cannot be submitted"
expect_err_i "below" "the refusal says the score is below the minimum"
tier_as sm candidate reject "$K2"
expect_rc 9 "a rejection needs a reason"
expect_err_i "reason" "the refusal asks for a reason"
tier_as sm --output json candidate reject "$K2" --reason "too small for us"
expect_rc 0 "sm rejects K2 with a reason"
expect_jget 'd["candidate"]["state"]' rejected "K2 is rejected"
expect_jget 'd["candidate"]["reason"]' "too small for us" "the reason is kept"

note "four eyes"
propose "$C3"
K3=$CAND
tier_as sm candidate score "$K3" reach=6 fit=3 size=50
expect_rc 0 "sm scores K3 (57: general)"
tier_as sm candidate submit "$K3" --tier general --owner sm
expect_rc 0 "sm submits K3 as general (chain bu_vp, bu_vp)"
tier_as vp candidate approve "$K3"
expect_rc 0 "vp approves step 1 of K3"
tier_as vp candidate approve "$K3"
expect_rc 6 "vp may not approve a second step of the same submission"
expect_err_i "four eyes" "the refusal names four eyes"
tier_as vp --output json queue
expect_jget "$K3 in [i['candidate']['id'] for i in d['items']]" false \
	"K3 is not in vp's queue any more"
tier_as vp2 --output json queue
expect_jget "$K3 in [i['candidate']['id'] for i in d['items']]" true \
	"K3 waits in vp2's queue"
tier_as vp2 candidate approve "$K3"
expect_rc 0 "vp2 approves step 2 of K3"

note "stale versions"
show_as sm "$K3"
V3=$(jget 'd["candidate"]["version"]')
tier_as vp candidate reopen "$K3" --reason "look again" --if-version $((V3 - 1))
expect_rc 8 "a stale --if-version is a conflict"
expect_err "changed by vp2" "the conflict names who changed it"
show_as sm "$K3"
expect_jget 'd["candidate"]["state"]' approved "the conflict changed nothing"

note "return and resubmit"
propose "$C4"
K4=$CAND
tier_as sm candidate score "$K4" reach=8 fit=4 size=70
expect_rc 0 "sm scores K4 (77: key)"
tier_as sm candidate submit "$K4" --tier key --owner am
expect_rc 0 "sm submits K4 as key"
tier_as vp candidate return "$K4"
expect_rc 9 "a return needs a reason"
tier_as vp --output json candidate return "$K4" --reason "check the size"
expect_rc 0 "vp returns K4"
expect_jget 'd["candidate"]["state"]' proposed "a returned candidate is proposed"
tier_as sm candidate submit "$K4" --tier key --owner am
expect_rc 9 "a returned candidate is rescored before resubmission"
tier_as sm candidate score "$K4" size=80
expect_rc 0 "sm rescores K4"
tier_as sm --output json candidate submit "$K4" --tier key --owner am
expect_rc 0 "sm resubmits K4"
expect_jget 'd["candidate"]["state"]' pending "K4 is pending again"
tier_as vp candidate approve "$K4"
expect_rc 0 "vp approves the resubmission"

note "a retried request id changes nothing twice"
propose "$C5"
K5=$CAND
tier_as sm --request-id retry-score-1 --output json candidate score "$K5" \
	reach=5 --if-version 1
expect_rc 0 "score with a fixed request id"
expect_jget 'd["candidate"]["version"]' 2 "the score made version 2"
tier_as sm --request-id retry-score-1 --output json candidate score "$K5" \
	reach=5 --if-version 1
expect_rc 0 "the retried request answers as the first did"
expect_jget 'd["candidate"]["version"]' 2 "the retry returns version 2"
show_as sm "$K5"
expect_jget 'd["candidate"]["version"]' 2 "the candidate is still at version 2"
tier_as sm --output json audit show candidate "$K5"
expect_rc 0 "audit show candidate K5"
n=$(grep -o '"candidate.score"' "$OUT" | wc -l)
if [ "$n" -eq 1 ]; then
	pass "one audit entry for the retried score"
else
	fail "$n audit entries for the retried score, want 1"
fi

note "the queue is oldest first"
propose "$C6"
K6=$CAND
tier_as sm candidate score "$K6" reach=7 fit=4 size=80
expect_rc 0 "sm scores K6"
tier_as sm candidate score "$K5" reach=8 fit=4 size=80
expect_rc 0 "sm completes K5"
# K6 (the newer candidate) is submitted first, so it waits longer.
tier_as sm candidate submit "$K6" --tier key --owner am
expect_rc 0 "sm submits K6"
sleep 1.1
tier_as sm candidate submit "$K5" --tier key --owner am
expect_rc 0 "sm submits K5"
tier_as vp --output json queue
expect_rc 0 "vp's queue"
expect_jget "[i['candidate']['id'] for i in d['items']] == [$K6, $K5]" true \
	"the older submission comes first"
expect_jget 'd["items"][0]["waiting_seconds"] >= 1' true "waiting time is counted"
expect_jget 'd["items"][0]["overdue"]' false "not overdue yet"
tier_as vp queue
expect_rc 0 "vp's queue as a table"
expect_out "WAITING" "the table has a waiting column"

note "list, targets and funnel"
tier_as sm --output json candidate list --cycle "$CYCLE"
expect_rc 0 "list the cycle's candidates"
expect_jget 'd["total"]' 6 "six candidates in all"
expect_jget 'd["candidates"][0]["id"]' "$K1" "the best score comes first"
tier_as sm --output json candidate list --cycle "$CYCLE" --state approved
expect_jget 'sorted(c["id"] for c in d["candidates"])' "[$K1, $K3, $K4]" \
	"three approved candidates"
tier_as west --output json candidate list --cycle "$CYCLE"
expect_rc 7 "west cannot see the cycle"

tier_as vp --output json targets --cycle "$CYCLE"
expect_rc 0 "targets"
expect_jget '[(c["id"], c["tier"], c["owner"]) for c in d["targets"]]' \
	"[($K1, 'strategic', 'am'), ($K4, 'key', 'am'), ($K3, 'general', 'sm')]" \
	"targets: strategic, key, general, with owners"
tier_as vp targets --cycle "$CYCLE"
expect_rc 0 "targets as a table"
expect_out "strategic" "the table shows the tier"

tier_as vp --output json funnel --cycle "$CYCLE"
expect_rc 0 "funnel"
expect_jget '[(f["segment"], f["quota"], f["proposed"], f["scored"], f["submitted"], f["approved"], f["rejected"]) for f in d["funnel"] if f["segment"] == "华东"]' \
	"[('华东', 4, 6, 6, 5, 3, 1)]" "funnel row of 华东 with its quota"
tier_as vp funnel --cycle "$CYCLE"
expect_rc 0 "funnel as a table"
expect_out "6 (150%)" "quota progress: 6 proposed of 4"

note "a deputy decides for the approver, under four eyes"
add_customer '代批一号'
C7=$CUST
add_customer '代批二号'
C8=$CUST
# Until tomorrow: a run across midnight UTC keeps the deputy.
TODAY=$(date -u +%F)
TOMORROW=$(date -u -d "+1 day" +%F)
tier_as vp delegate add am --from "$TODAY" --until "$TOMORROW"
expect_rc 0 "vp delegates to am for today and tomorrow"
propose "$C7"
K7=$CAND
tier_as am --output json candidate propose --cycle "$CYCLE" --segment 华东 \
	--customer "$C8"
expect_rc 0 "am proposes K8"
K8=$(jget 'd["candidate"]["id"]')
for k in "$K7" "$K8"; do
	tier_as sm candidate score "$k" reach=8 fit=4 size=80
	expect_rc 0 "sm scores candidate $k"
	tier_as sm candidate submit "$k" --tier key --owner am
	expect_rc 0 "sm submits candidate $k"
done
tier_as am --output json queue
expect_rc 0 "am's queue as vp's deputy"
expect_jget "[(i['candidate']['id'], i['on_behalf_of']) for i in d['items'] if i['candidate']['id'] == $K7]" \
	"[($K7, 'vp')]" "K7 waits for am on behalf of vp"
expect_jget "$K8 in [i['candidate']['id'] for i in d['items']]" false \
	"K8, which am proposed, is not in am's queue"
tier_as am candidate approve "$K8"
expect_rc 6 "the deputy may not approve what it proposed"
expect_err_i "four eyes" "the refusal names four eyes"
tier_as am --output json candidate approve "$K7"
expect_rc 0 "am approves K7 for vp"
expect_jget '(d["candidate"]["state"], d["candidate"]["chain"][0]["decided_by"], d["candidate"]["chain"][0]["on_behalf_of"])' \
	"('approved', 'am', 'vp')" "the step records the deputy and the approver"
tier_as vp --output json audit show candidate "$K7"
expect_rc 0 "K7's history"
expect_jget '[(a["by"], a["on_behalf_of"]) for e in d["entries"] if e["action"] == "candidate.approve" for a in e["after"]["approvals"]]' \
	"[('am', 'vp')]" "the audit log records that am decided for vp"
# A candidate's audit forms are written straight to text: they must be the
# compact, key-sorted JSON of every other entry, nested objects included.
forms=$(sqlite3 "$DATADIR/tier.db" \
	"SELECT before || char(10) || after FROM audit WHERE entity = 'candidate' AND before <> ''") ||
	die "cannot read the audit log"
if python3 -c '
import json, sys
def sorted_keys(pairs):
    keys = [k for k, _ in pairs]
    if keys != sorted(keys):
        sys.exit("keys out of order: %r" % keys)
    return dict(pairs)
n = approvals = 0
for line in sys.stdin:
    text = line.rstrip("\n")
    doc = json.loads(text, object_pairs_hook=sorted_keys)
    # Spaces only inside strings: as many as a compact dump has.
    if json.dumps(doc, separators=(",", ":")).count(" ") != text.count(" "):
        sys.exit("not compact: " + text)
    n += 1
    approvals += len(doc["approvals"])
if n < 20 or approvals == 0:
    sys.exit("%d forms, %d approvals: too few to tell" % (n, approvals))
' <<<"$forms"; then
	pass "candidate audit forms are compact, key-sorted JSON"
else
	fail "candidate audit forms are not compact, key-sorted JSON"
fi
tier_as vp candidate approve "$K8"
expect_rc 0 "vp approves K8 itself"

note "withdraw and reopen"
tier_as am candidate withdraw "$K5"
expect_rc 9 "a pending candidate cannot be withdrawn"
tier_as vp candidate reopen "$K2" --reason "new information"
expect_rc 0 "vp reopens the rejected K2"
show_as sm "$K2"
expect_jget 'd["candidate"]["state"]' proposed "a reopened candidate is proposed"
tier_as am --output json candidate withdraw "$K2"
expect_rc 0 "am withdraws K2"
expect_jget 'd["candidate"]["state"]' withdrawn "K2 is withdrawn"

note "new criteria while open: pending candidates are rescored"
tier_as vp criteria set "$CYCLE" --criterion 'reach:50:0-10' \
	--criterion 'fit:20:0-5' --criterion 'size:30:0-100' \
	--reason "reach matters more"
expect_rc 0 "vp sets criteria version 2"
show_as sm "$K5"
expect_jget '(d["candidate"]["state"], d["candidate"]["needs_rescore"], d["candidate"]["score_complete"])' \
	"('scored', True, False)" "the pending K5 is back to scored, to rescore"
expect_jget '"score: reach" in d["candidate"]["missing"]' true \
	"the new version's criteria are missing"
tier_as vp queue
expect_no_out "排队一号" "K5 left vp's queue"
tier_as sm candidate submit "$K5" --tier key --owner am
expect_rc 9 "it cannot be submitted before rescoring"
tier_as sm --output json candidate score "$K5" reach=8 fit=4 size=80
expect_rc 0 "sm rescores K5 against version 2"
expect_jget '(d["candidate"]["needs_rescore"], d["candidate"]["criteria_version"], d["candidate"]["score"])' \
	"(False, 2, 80.0)" "rescored: 40 + 16 + 24 = 80 under version 2"
tier_as sm candidate submit "$K5" --tier key --owner am
expect_rc 0 "then it is submitted again"

note "nothing outside the scope shows through a refusal"
add_user south account_mgr 'segments:华南'
tier_as south candidate propose --cycle "$CYCLE" --segment 华南 --customer "$C1"
expect_rc 8 "a customer is a candidate once per cycle, whatever the segment"
expect_err "outside your scope" "the refusal says the candidate is out of sight"
expect_no_err "candidate $K1" "and does not name it"
tier_as vp candidate reject "$K5" --reason "$(printf 'bad \355\240\200 text')"
expect_rc 9 "a reason that is not UTF-8 (a surrogate) is bad input"
expect_err "reason" "the refusal names the reason"
show_as sm "$K5"
expect_jget 'd["candidate"]["state"]' pending "and K5 is unchanged"

tier_as root status
expect_rc 0 "tierd still answers"
tierd_stop
finish
