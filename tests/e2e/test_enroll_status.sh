# End to end: the first administrator enrols with the code from
# "tierd --init-admin", pins the server key on first contact, sees status and
# whoami (table and JSON), adds a user who enrols from her own configuration
# directory, and the role rules and file modes hold.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

tierd_config
init_admin root
ADMIN_CODE=$CODE
tierd_start
FP=$(server_fingerprint)
[ -n "$FP" ] || die "tierd did not log 'server key fingerprint BLAKE2b:...'"
pass "tierd logged its fingerprint $FP"
expect_mode "$DATADIR/server.key" 600 "server.key"
expect_mode "$DATADIR" 700 "the data directory"

note "the administrator enrols"
tier_as root enroll "$ADMIN_CODE"
expect_rc 0 "root enrols with the init-admin code"
expect_err "$FP" "first contact shows the server fingerprint on stderr"
ROOT_DIR=$(person_dir root)
expect_mode "$ROOT_DIR" 700 "root's config directory"
expect_mode "$ROOT_DIR/id_x25519" 600 "root's private key"
expect_mode "$ROOT_DIR/known_servers" 600 "root's known_servers"
if grep -qE "^127\.0\.0\.1:$PORT [A-Za-z0-9_-]{43}\$" "$ROOT_DIR/known_servers"; then
	pass "known_servers pins 127.0.0.1:$PORT"
else
	fail "known_servers has no '127.0.0.1:$PORT KEY' line"
fi
if head -n 1 "$ROOT_DIR/id_x25519" | grep -qx '# tier X25519 private key'; then
	pass "the key file has the tier key header"
else
	fail "the key file lacks the tier key header"
fi

note "status and whoami"
tier_as root status
expect_rc 0 "status"
expect_out "Noise_XX_25519_ChaChaPoly_BLAKE2b" "status names the cipher suite"
expect_out "root" "status names the user"
expect_no_err "$FP" "the fingerprint notice is shown only on first contact"

# The config file now names the server: no --server needed.
run_as root whoami
expect_rc 0 "whoami with the server from the config file"
expect_out "root" "whoami shows the name"
expect_out "admin" "whoami shows the role"

tier_as root --output json status
expect_rc 0 "status --output json"
expect_json "status --output json"
expect_out "Noise_XX_25519_ChaChaPoly_BLAKE2b" "JSON status names the cipher suite"
tier_as root --output json whoami
expect_rc 0 "whoami --output json"
expect_json "whoami --output json"
if python3 -c '
import json, sys
doc = json.load(sys.stdin)
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k, x
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
pairs = list(walk(doc))
assert ("name", "root") in pairs, pairs
assert ("role", "admin") in pairs, pairs
' <"$OUT"; then
	pass "whoami JSON has name root and role admin"
else
	fail "whoami JSON lacks name=root or role=admin"
fi

note "a second user"
tier_as root user add alice --role segment_mgr --scope 'segments:华东'
expect_rc 0 "root adds alice"
ALICE_CODE=$(code_in "$OUT")
if [ -n "$ALICE_CODE" ]; then
	pass "user add printed an enrolment code"
else
	fail "user add printed no XXXX-XXXX-XXXX-XXXX code"
fi
tier_as root user add alice --role segment_mgr --scope 'segments:华东'
expect_rc 8 "adding alice twice is a conflict"

tier_as alice enroll "$ALICE_CODE"
expect_rc 0 "alice enrols in her own config directory"
expect_err "$FP" "alice also sees the fingerprint on first contact"
expect_mode "$(person_dir alice)" 700 "alice's config directory"
expect_mode "$(person_dir alice)/id_x25519" 600 "alice's private key"
if cmp -s "$ROOT_DIR/id_x25519" "$(person_dir alice)/id_x25519"; then
	fail "alice and root share a key"
else
	pass "alice has her own key"
fi

run_as alice whoami
expect_rc 0 "alice whoami"
expect_out "alice" "alice's whoami shows her name"
expect_out "segment_mgr" "alice's whoami shows her role"
expect_out "华东" "alice's whoami shows her scope, UTF-8 intact"
expect_no_out "admin" "alice is not an admin"

run_as alice user list
expect_rc 6 "alice may not list users"
expect_err "tier: error:" "the refusal is reported as an error"
expect_err_i "segment_mgr" "the refusal names alice's role"

run_as root user list
expect_rc 0 "root lists users"
expect_out "root" "the list has root"
expect_out "alice" "the list has alice"

run_as root --output json user list
expect_rc 0 "user list --output json"
expect_json "user list --output json"

note "invalid requests"
tier_as root user add 'Bad Name' --role researcher --scope bu:X
expect_rc_in "2 9" "a name with capitals and a space is refused"
tier_as root user add carol --role researcher --scope all
expect_rc_in "2 9" "scope 'all' is only for admins and auditors"
tier_as root user add carol --role bg_vp --scope bu:X
expect_rc_in "2 9" "bg_vp needs a bg: scope"
tier_as root user add carol --role wizard --scope bu:X
expect_rc 2 "an unknown role is a usage error"
tier_as root user code nobody
expect_rc 7 "a code for an unknown user: not found"
tier_as root user code alice
expect_rc 0 "root issues alice a new code"

tier_as root status
expect_rc 0 "status still works"
tierd_stop
finish
