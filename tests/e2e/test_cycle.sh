# End to end: one whole annual cycle through real tier commands, with one
# user of each role. The BU VP defines criteria, policy and quotas and opens
# the cycle; managers propose, score and submit; a strategic target passes a
# two-step chain (BU VP, then BG VP); a key target is returned and
# resubmitted; a weak candidate is refused submission and rejected with a
# reason. Along the way: a stale version conflicts, a retried request changes
# nothing, four eyes and scope hold, the closed cycle refuses changes and the
# audit log verifies, then detects tampering.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config
init_admin root
ROOT_CODE=$CODE
tierd_start
tier_as root enroll "$ROOT_CODE"
expect_rc 0 "root enrols"

note "the organisation"
for unit in "bg Industrial" "bu Drives --parent Industrial" \
	"segment 华东 --parent Drives" "segment 华南 --parent Drives" \
	"bu Pumps --parent Industrial" "segment West --parent Pumps"; do
	# shellcheck disable=SC2086
	tier_as root org add $unit
	expect_rc 0 "org add $unit"
done
tier_as root --output json org list
expect_rc 0 "org list"
[ "$(json_get units.5.name)" != "" ] && pass "six units listed" ||
	fail "org list does not show six units: $(cat "$OUT")"

note "one user of each role"
add_person root bgvp bg_vp bg:Industrial
add_person root buvp bu_vp bu:Drives
add_person root segmgr segment_mgr 'segments:华东,华南'
add_person root acct account_mgr 'segments:华东'
add_person root research researcher 'segments:华东'
add_person root mkt marketing_head bu:Drives
add_person root aud auditor
add_person root pumpmgr segment_mgr segments:West

note "the BU VP defines the cycle"
tier_as buvp --output json cycle create --bu Drives --year 2027
expect_rc 0 "buvp creates the 2027 cycle"
CYCLE=$(json_get cycle.id)
[ -n "$CYCLE" ] || die "no cycle id in: $(cat "$OUT")"
tier_as segmgr cycle create --bu Drives --year 2028
expect_rc 6 "a segment manager may not create a cycle"
tier_as buvp cycle set "$CYCLE" --min-score 50 --cut-strategic 85 \
	--cut-key 70 --chain strategic=bu_vp,bg_vp --chain key=bu_vp \
	--quota 华东=3 --quota 华南=2
expect_rc 0 "buvp sets policy, chains and quotas"
tier_as buvp criteria set "$CYCLE" \
	--criterion 'revenue:50:0-10:yearly revenue potential' \
	--criterion 'fit:30:0-10:fit with our products' \
	--criterion 'credit:20:0-5:credit standing'
expect_rc 0 "buvp defines three weighted criteria"
tier_as buvp criteria set "$CYCLE" --criterion 'a:50:0-10' --criterion 'b:40:0-10'
expect_rc 9 "weights that do not sum to 100 are refused"
expect_err "100" "the error names the required sum"
tier_as buvp cycle open "$CYCLE"
expect_rc 0 "buvp opens the cycle"

note "customers and candidates"
tier_as acct --output json customer add --bu Drives 'ACME 传动有限公司' \
	--industry machinery --region 上海 --size 500 --contacts 'Wang 138' \
	--credit-limit 2000000 --payment-terms 'net 60' --revenue 2025=12000000
expect_rc 0 "acct adds ACME"
ACME=$(json_get customer.id)
tier_as acct customer add --bu Drives 'ＡＣＭＥ 传动有限公司'
expect_rc 8 "the same name in full-width letters is a duplicate"
expect_err "$ACME" "the duplicate error names the existing customer"
tier_as segmgr --output json customer add --bu Drives 'Borealis Motors'
BOREALIS=$(json_get customer.id)
tier_as segmgr --output json customer add --bu Drives 'Cirrus Tools'
CIRRUS=$(json_get customer.id)
[ -n "$BOREALIS" ] && [ -n "$CIRRUS" ] || die "customers not created"
tier_as research customer update "$BOREALIS" --industry pumps --region 广州
expect_rc 0 "the researcher completes a customer card"

tier_as acct --output json candidate propose --cycle "$CYCLE" --segment 华东 --customer "$ACME"
expect_rc 0 "acct proposes ACME"
CA=$(json_get candidate.id)
tier_as segmgr --output json candidate propose --cycle "$CYCLE" --segment 华东 --customer "$BOREALIS"
CB=$(json_get candidate.id)
tier_as segmgr --output json --request-id retry-cirrus-1 candidate propose --cycle "$CYCLE" --segment 华南 --customer "$CIRRUS"
expect_rc 0 "segmgr proposes Cirrus"
CC=$(json_get candidate.id)
[ -n "$CA" ] && [ -n "$CB" ] && [ -n "$CC" ] || die "candidates not proposed"

note "a retried request changes nothing"
tier_as segmgr --output json --request-id retry-cirrus-1 candidate propose --cycle "$CYCLE" --segment 华南 --customer "$CIRRUS"
expect_rc 0 "the retry succeeds"
[ "$(json_get candidate.id)" = "$CC" ] && pass "the retry returns the first candidate" ||
	fail "the retry returned candidate $(json_get candidate.id), want $CC"
tier_as aud --output json audit show candidate "$CC"
n=$(python3 -c 'import json,sys; print(sum(e["action"]=="candidate.propose" for e in json.load(open(sys.argv[1]))["entries"]))' "$OUT")
[ "$n" = 1 ] && pass "one propose entry in the audit log" || fail "$n propose entries, want 1"

note "scoring, ranking, explanation"
tier_as segmgr candidate score "$CA" revenue=10 fit=9 credit=5
expect_rc 0 "segmgr scores ACME"
tier_as segmgr candidate score "$CB" revenue=8 fit=7 credit=3
expect_rc 0 "segmgr scores Borealis"
tier_as segmgr candidate score "$CC" revenue=2 fit=3
expect_rc 0 "segmgr scores Cirrus partly"
tier_as segmgr --output json candidate show "$CC"
[ "$(json_get candidate.state)" = proposed ] && pass "partly scored stays proposed" ||
	fail "state $(json_get candidate.state), want proposed"
expect_out "credit" "the missing information names the unscored criterion"
tier_as segmgr candidate score "$CC" credit=9
expect_rc 9 "a score above the scale is refused"
tier_as segmgr candidate score "$CC" credit=1
expect_rc 0 "segmgr completes Cirrus"
tier_as segmgr --output json candidate show "$CA"
# revenue 50*10/10 + fit 30*9/10 + credit 20*5/5 = 97
[ "$(json_get candidate.score)" = 97 ] || [ "$(json_get candidate.score)" = 97.0 ] &&
	pass "the server computes ACME's weighted score 97" ||
	fail "ACME score $(json_get candidate.score), want 97"
[ "$(json_get candidate.suggested_tier)" = strategic ] && pass "ACME is suggested strategic" ||
	fail "ACME suggested $(json_get candidate.suggested_tier)"
[ "$(json_get candidate.rank_segment)" = 1 ] && pass "ACME ranks first in 华东" ||
	fail "ACME rank $(json_get candidate.rank_segment)"
tier_as segmgr candidate explain "$CA"
expect_rc 0 "explain"
expect_out "revenue" "the explanation lists each criterion"

note "submission"
tier_as segmgr candidate submit "$CC" --tier general --owner acct
expect_rc 9 "Cirrus, below the minimum score, cannot be submitted"
expect_err "minimum" "the error names the minimum score"
tier_as segmgr candidate reject "$CC"
expect_rc_in "2 9" "a rejection needs a reason"
tier_as segmgr candidate reject "$CC" --reason "below the minimum score"
expect_rc 0 "segmgr rejects Cirrus with a reason"
tier_as segmgr candidate submit "$CB" --tier strategic --owner acct
expect_rc 9 "a tier other than the suggested one needs a justification"
tier_as segmgr candidate submit "$CB" --tier key --owner acct
expect_rc 0 "Borealis submitted as key"
sleep 1 # queue ages have one-second resolution
tier_as segmgr candidate submit "$CA" --tier strategic --owner acct
expect_rc 0 "ACME submitted as strategic"
tier_as segmgr candidate score "$CA" fit=8
expect_rc 9 "a pending candidate is locked"
expect_err "pending" "the refusal says the candidate is pending"

note "four eyes and the approval chain"
TODAY=$(date -u +%F)
LATER=$(date -u -d "+30 days" +%F)
tier_as buvp delegate add segmgr --from "$TODAY" --until "$LATER"
expect_rc 0 "buvp delegates approvals to segmgr"
tier_as segmgr candidate approve "$CB"
expect_rc 6 "the deputy may not approve what it submitted"
tier_as bgvp candidate approve "$CA"
expect_rc 6 "the BG VP may not decide the BU VP's step"
tier_as buvp --output json queue
expect_rc 0 "buvp's queue"
[ "$(json_get items.0.candidate.id)" = "$CB" ] && pass "the oldest pending (Borealis) is first" ||
	fail "queue starts with $(json_get items.0.candidate.id), want $CB"
tier_as buvp --output json candidate show "$CA"
V=$(json_get candidate.version)
tier_as buvp candidate approve "$CA" --if-version $((V - 1))
expect_rc 8 "a stale version is a conflict"
expect_err "segmgr" "the conflict says who changed it"
tier_as buvp candidate approve "$CA" --if-version "$V"
expect_rc 0 "buvp approves step 1 of ACME"
tier_as buvp candidate approve "$CA"
expect_rc 6 "the BU VP may not decide the BG VP's step"
tier_as bgvp delegate add buvp --from "$TODAY" --until "$LATER"
expect_rc 0 "bgvp delegates approvals to buvp"
tier_as buvp candidate approve "$CA"
expect_rc 6 "nobody approves two steps of one chain, not even as a deputy"
tier_as bgvp --output json queue
[ "$(json_get items.0.candidate.id)" = "$CA" ] && pass "ACME waits in the BG VP's queue" ||
	fail "bgvp's queue: $(cat "$OUT")"
tier_as bgvp candidate approve "$CA"
expect_rc 0 "bgvp approves the final step"
tier_as bgvp --output json candidate show "$CA"
[ "$(json_get candidate.state)" = approved ] && pass "ACME is approved" ||
	fail "ACME is $(json_get candidate.state)"

note "return and resubmission"
tier_as buvp candidate return "$CB"
expect_rc_in "2 9" "a return needs a reason"
tier_as buvp candidate return "$CB" --reason "check the credit score"
expect_rc 0 "buvp returns Borealis"
tier_as segmgr candidate score "$CB" credit=4
expect_rc 0 "segmgr rescores Borealis"
tier_as segmgr candidate submit "$CB" --tier key --owner acct
expect_rc 0 "Borealis resubmitted"
tier_as buvp candidate approve "$CB"
expect_rc 0 "buvp approves Borealis"

note "scope"
tier_as pumpmgr candidate show "$CA"
expect_rc 7 "a candidate outside the user's scope does not exist for it"
tier_as pumpmgr candidate show 999999
expect_rc 7 "as a missing candidate"
tier_as pumpmgr --output json candidate list --cycle "$CYCLE"
expect_no_out "ACME" "an out-of-scope list does not show ACME"
tier_as pumpmgr customer show "$ACME"
expect_rc 7 "nor its customer"

note "lists and reports"
tier_as buvp targets --cycle "$CYCLE"
expect_rc 0 "targets"
expect_out "ACME" "ACME is a target"
expect_out "strategic" "with its tier"
expect_out "acct" "and its owner"
tier_as buvp funnel --cycle "$CYCLE"
expect_rc 0 "funnel"
expect_out "华东" "the funnel has a row per segment"
tier_as mkt candidate list --cycle "$CYCLE" --state approved
expect_rc 0 "the marketing head lists approved candidates"

note "closing and the next year"
tier_as buvp cycle close "$CYCLE"
expect_rc 0 "buvp closes the cycle"
tier_as segmgr candidate reopen "$CC" --reason "new information"
expect_rc_in "6 9" "nothing changes in a closed cycle"
tier_as buvp candidate reopen "$CC" --reason "new information"
expect_rc 9 "not even a reopen by the BU VP"
tier_as buvp --output json cycle derive "$CYCLE" --year 2028 --reason "credit matters more"
expect_rc 0 "buvp derives the 2028 draft"
NEXT=$(json_get cycle.id)
tier_as buvp criteria show "$NEXT"
expect_out "revenue" "the derived draft starts from this year's criteria"

note "long names and reasons are kept whole"
LONG=$(python3 -c 'print("长" * 40)')
tier_as root org add segment "$LONG" --parent Pumps
expect_rc 0 "a segment name of 40 Chinese characters (120 bytes)"
add_person root longmgr segment_mgr "segments:$LONG"
tier_as longmgr --output json org list
expect_rc 0 "its manager lists the units"
[ "$(json_get units.2.name)" = "$LONG" ] && pass "the name comes back whole" ||
	fail "org list shows: $(cat "$OUT")"
tier_as root org add segment "$(python3 -c 'print("长" * 65)')" --parent Pumps
expect_rc 9 "65 characters are too many"
WHY=$(python3 -c 'print("因为" * 300)')
tier_as buvp --output json cycle derive "$CYCLE" --year 2029 --reason "$WHY"
expect_rc 0 "buvp derives 2029 with a reason of 600 characters"
[ "$(json_get cycle.derive_reason)" = "$WHY" ] &&
	pass "the reason comes back whole" ||
	fail "derive_reason is '$(json_get cycle.derive_reason)'"

note "a cycle's history shows only the quotas of segments in scope"
# shellcheck disable=SC2016
quota_keys='import json, sys
keys = set()
for e in json.load(open(sys.argv[1]))["entries"]:
    for t in (e["before"], e["after"]):
        if t:
            keys |= set(t.get("quotas", {}))
print(",".join(sorted(keys)))'
tier_as buvp --output json audit show cycle "$CYCLE"
expect_rc 0 "buvp reads the cycle's history"
[ "$(python3 -c "$quota_keys" "$OUT")" = "华东,华南" ] &&
	pass "buvp sees the quotas of both segments" ||
	fail "buvp sees quotas of: $(python3 -c "$quota_keys" "$OUT")"
tier_as acct --output json audit show cycle "$CYCLE"
expect_rc 0 "acct (segments:华东) reads the cycle's history"
[ "$(python3 -c "$quota_keys" "$OUT")" = "华东" ] &&
	pass "acct sees the quota of 华东 only" ||
	fail "acct sees quotas of: $(python3 -c "$quota_keys" "$OUT")"

note "the audit log"
tier_as aud audit verify
expect_rc 0 "the audit log verifies"
tier_as aud audit show candidate "$CA"
expect_out "candidate.approve" "ACME's history shows the approvals"
expect_out "bgvp" "with who approved"
tier_as segmgr audit verify
expect_rc 6 "only auditors and admins verify the whole log"
sqlite3 "$DATADIR/tier.db" \
	"UPDATE audit SET reason = 'edited' WHERE seq = (SELECT min(seq) + 3 FROM audit)" ||
	die "cannot edit the database"
tier_as aud audit verify
expect_rc 1 "an edited entry breaks the chain"
expect_err "broken" "verify says the log is broken"

finish
