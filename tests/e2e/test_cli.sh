# End to end: the command-line surfaces of tier and tierd: help, exit codes,
# usage errors, connection failures, where the server address comes from
# (flag > environment > config file), and tierd refusing a bad setting by
# name.
. "${E2E_LIB:-$(dirname "$0")/lib.sh}"

note "tier help"
run "$TIER" --help
expect_rc 0 "tier --help"
for sub in enroll status whoami user help; do
	expect_out "$sub" "--help lists '$sub'"
done
run "$TIER" help exit-codes
expect_rc 0 "tier help exit-codes"
for n in 0 1 2 3 4 5 6 7 8 9 10; do
	if grep -qE "(^|[^0-9])$n([^0-9]|\$)" "$OUT"; then
		pass "help exit-codes mentions $n"
	else
		fail "help exit-codes does not mention exit code $n"
	fi
done

note "usage errors"
run_as nobody frobnicate
expect_rc 2 "an unknown subcommand is a usage error"
expect_err "frobnicate" "the message names the unknown subcommand"
expect_err "help" "the message hints at help"
run_as nobody --no-such-flag status
expect_rc 2 "an unknown flag is a usage error"
run_as nobody --output yaml status
expect_rc 2 "an unknown output format is a usage error"
run_as nobody enroll
expect_rc 2 "enroll without a code is a usage error"

note "no server"
new_key "$(person_dir nobody)/id_x25519"
run_as nobody status
expect_rc_in "2 3" "status with no server configured"
expect_err "tier: error:" "the failure is reported as an error"
expect_err_i "server" "the message is about the server address"
run_as nobody --server 127.0.0.1:1 status
expect_rc 3 "nothing listening on 127.0.0.1:1"
expect_err "127.0.0.1:1" "the message names the address"
run_as nobody --server 'not an address:' status
expect_rc_in "2 3" "a malformed --server"

note "a real server"
tierd_config
init_admin root
tierd_start
enroll_as root "$CODE"
ROOT_DIR=$(person_dir root)
if grep -qE "^[[:space:]]*server[[:space:]]*=[[:space:]]*127\.0\.0\.1:$PORT[[:space:]]*\$" "$ROOT_DIR/config"; then
	pass "enroll recorded the server in the config file"
else
	fail "the config file does not record server = 127.0.0.1:$PORT"
fi

note "precedence: flag > TIER_SERVER > config file"
printf '[client]\nserver = 127.0.0.1:1\n' >"$ROOT_DIR/config"
run_as root status
expect_rc 3 "the config file's (dead) server is used"
TIER_SERVER=127.0.0.1:$PORT run_as root status
expect_rc 0 "TIER_SERVER overrides the config file"
expect_out "Noise_XX_25519_ChaChaPoly_BLAKE2b" "status via TIER_SERVER"
TIER_SERVER=127.0.0.1:1 run_as root --server "127.0.0.1:$PORT" status
expect_rc 0 "--server overrides TIER_SERVER"
TIER_SERVER=127.0.0.1:$PORT run_as root --server 127.0.0.1:1 status
expect_rc 3 "--server overrides TIER_SERVER (dead flag address)"

note "output format from the environment and the config file"
TIER_OUTPUT=json tier_as root whoami
expect_rc 0 "TIER_OUTPUT=json whoami"
expect_json "whoami with TIER_OUTPUT=json"
printf '[client]\nserver = 127.0.0.1:%s\noutput = json\n' "$PORT" >"$ROOT_DIR/config"
run_as root whoami
expect_rc 0 "whoami with output = json in the config file"
expect_json "whoami with output = json in the config file"
TIER_OUTPUT=table run_as root --output json whoami
expect_json "--output json overrides TIER_OUTPUT=table"

note "--config-dir and TIER_CONFIG_DIR"
LAST_CMD="tier --config-dir $ROOT_DIR whoami"
timeout 60 "$TIER" --config-dir "$ROOT_DIR" whoami </dev/null >"$OUT" 2>"$ERR"
RC=$?
expect_rc 0 "--config-dir selects root's directory"
expect_out "root" "whoami through --config-dir"

note "a server that is not a tier server"
python3 - "$E2E_TMP/port" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(30)
try:
    c, _ = s.accept()
    c.recv(100)
    c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    c.close()
except Exception:
    pass
PY
FAKE=$!
for i in $(seq 1 50); do [ -s "$E2E_TMP/port" ] && break; sleep 0.1; done
run_as root --server "127.0.0.1:$(cat "$E2E_TMP/port")" status
expect_rc 4 "an HTTP server is not a tier server: handshake failed"
wait "$FAKE" 2>/dev/null

tierd_stop

note "tierd command line"
run "$TIERD" --help
expect_rc 0 "tierd --help"
expect_out "--init-admin" "tierd --help lists --init-admin"
run "$TIERD" -V
expect_rc 0 "tierd -V"
expect_out "0.1.0" "tierd -V prints the version"
# Every tierd below is told to use loopback and a scratch directory, so that
# one which wrongly starts anyway listens nowhere else.
SAFE=(-l 127.0.0.1:0 -d "$E2E_TMP/scratch")
RUN_TIMEOUT=10 run "$TIERD" "${SAFE[@]}" --no-such-flag
if [ "$RC" -ne 0 ]; then
	pass "tierd refuses an unknown flag (exit $RC)"
else
	fail "tierd accepted an unknown flag"
fi

TIERD_EXTRA=("handshake_timeout = banana")
tierd_config
RUN_TIMEOUT=10 run "$TIERD" -c "$CONF"
if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then
	pass "tierd refuses handshake_timeout = banana (exit $RC)"
else
	fail "tierd started (or hung) with handshake_timeout = banana: exit $RC"
fi
expect_err "handshake_timeout" "the message names the setting"
expect_no_err "listening on" "tierd did not start listening"

TIERD_EXTRA=("no_such_setting = 1")
tierd_config
RUN_TIMEOUT=10 run "$TIERD" -c "$CONF"
if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then
	pass "tierd refuses an unknown setting (exit $RC)"
else
	fail "tierd started (or hung) with an unknown setting: exit $RC"
fi
expect_err "no_such_setting" "the message names the unknown setting"

RUN_TIMEOUT=10 run "$TIERD" "${SAFE[@]}" -c "$E2E_TMP/does-not-exist.conf"
if [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; then
	pass "tierd refuses a missing config file (exit $RC)"
else
	fail "tierd started without its config file: exit $RC"
fi
expect_err "does-not-exist.conf" "the message names the file"
finish
