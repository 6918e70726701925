# End to end: everything that must be refused is refused, with the exit code
# and message the spec gives: an unregistered key, a used, expired or wrong
# enrolment code, a server whose key changed since it was pinned, and a peer
# speaking another protocol version.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config
init_admin root
tierd_start
FP1=$(server_fingerprint)
enroll_as root "$CODE"

note "a key the server does not know"
new_key "$(person_dir stranger)/id_x25519"
tier_as stranger status
expect_rc 6 "an unregistered key may not ask for status"
expect_err "not registered" "stderr says the key is not registered"
expect_err "tier enroll" "the hint says how to enrol"
tier_as stranger whoami
expect_rc 6 "an unregistered key may not ask whoami"
rawpeer_expect anonymous-status 127.0.0.1 "$PORT"

note "enrolment codes are single use"
tier_as root user add bob --role researcher --scope bu:X
expect_rc 0 "root adds bob"
BOB_CODE=$(code_in "$OUT")
[ -n "$BOB_CODE" ] || die "user add printed no code"
enroll_as bob "$BOB_CODE"
tier_as mallory enroll "$BOB_CODE"
expect_rc 6 "a used code is refused"
expect_err "already been used" "stderr says the code was used"
expect_err "tier user code" "the hint says how to get a new code"
tier_as mallory status
expect_rc 6 "the refused key is still unknown"
tier_as root user code bob
expect_rc 0 "root issues bob a second code"
BOB_CODE2=$(code_in "$OUT")
tier_as bob enroll "$BOB_CODE2"
expect_rc 9 "an enrolled key may not enrol again, even with a valid code"
expect_err "already enrolled" "stderr says the key is already enrolled"

note "codes expire"
tier_as root user add dave --role researcher --scope bu:X --code-ttl 1
expect_rc 0 "root adds dave with a one-second code"
DAVE_CODE=$(code_in "$OUT")
[ -n "$DAVE_CODE" ] || die "user add printed no code"
sleep 2.5
tier_as dave enroll "$DAVE_CODE"
expect_rc 6 "an expired code is refused"
expect_err "expired" "stderr says the code expired"

note "a new code replaces the old one"
tier_as root user code dave
expect_rc 0 "root issues dave a new code"
DAVE_CODE2=$(code_in "$OUT")
tier_as root user code dave
expect_rc 0 "root issues dave yet another code"
DAVE_CODE3=$(code_in "$OUT")
tier_as dave enroll "$DAVE_CODE2"
expect_rc 6 "a superseded code is refused"

note "codes are read generously: case, dashes, I/L for 1, O for 0"
TYPED=$(echo "$DAVE_CODE3" | tr -d - | tr 'A-Z' 'a-z' | tr 1 l | tr 0 o)
tier_as dave enroll "$TYPED"
expect_rc 0 "dave enrols with '$TYPED' for $DAVE_CODE3"
run_as dave whoami
expect_rc 0 "dave is enrolled"
expect_out "dave" "whoami names dave"

note "a wrong code"
tier_as eve enroll ABCD-EFGH-JKMN-PQRS
expect_rc 6 "an unknown code is refused"
expect_err "unknown" "stderr says the code is unknown"
tier_as eve enroll 'not a code!'
expect_rc 9 "garbage instead of a code is rejected as malformed"
expect_err "is not an enrolment code" "stderr says it is not a code"

note "a peer with another protocol version"
rawpeer_expect bad-prologue 127.0.0.1 "$PORT"
expect_tierd_alive "after the bad prologue"

note "the server key changes"
tierd_stop
rm -f "$DATADIR/server.key"
tierd_restart_same_port
NEW_FP=$(server_fingerprint)
[ -n "$NEW_FP" ] || die "the restarted tierd logged no fingerprint"
if [ "$NEW_FP" != "$FP1" ]; then
	pass "tierd made a new key"
else
	fail "tierd kept its key although server.key was deleted"
fi
cp "$(person_dir root)/known_servers" "$E2E_TMP/known_before"
run_as root status
expect_rc 5 "a changed server key is refused"
expect_err_i "changed" "stderr says the key has changed"
expect_err "known_servers" "stderr names the known_servers file"
expect_no_out "Noise_XX" "no status was printed"
if cmp -s "$E2E_TMP/known_before" "$(person_dir root)/known_servers"; then
	pass "the pin was not replaced"
else
	fail "known_servers changed after a key mismatch"
fi
run_as root --server "127.0.0.1:$PORT" whoami
expect_rc 5 "--server does not bypass the pin"

tierd_stop
finish
