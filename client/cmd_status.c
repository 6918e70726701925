/*
 * "tier status": what the server says about itself, how this connection is
 * protected, and who we are on it (a second request, whoami, on the same
 * connection).
 */
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "tier.h"

static json_t *
cmd_status_json(const struct conn *conn, const Tier__StatusResponse *st,
    const Tier__User *me)
{
	char fp[KEYS_FINGERPRINT_SIZE], b64[KEYS_B64_SIZE];

	keys_fingerprint(conn_server_key(conn), fp);
	keys_pub_to_b64(conn_server_key(conn), b64);
	return json_pack("{s:{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:o, "
			 "s:I, s:i, s:i, s:s}, s:{s:s, s:b, s:b, s:s, s:s}, "
			 "s:o}",
	    "server", "name", st->server_name, "address", conn_address(conn),
	    "version", st->server_version, "protocol_version",
	    (int)st->protocol_version, "cipher_suite", st->cipher_suite,
	    "public_key", b64, "fingerprint", fp, "started_at",
	    output_json_time(st->started_at), "now", output_json_time(st->now),
	    "uptime_seconds", (json_int_t)(st->now - st->started_at),
	    "connections", (int)st->connections, "schema_version",
	    (int)st->schema_version, "store", st->store, "channel",
	    "noise_protocol", NOISE_TIER_PROTOCOL, "encrypted", 1,
	    "server_authenticated", 1, "server_key",
	    conn_pin_state(conn) == CONN_PIN_NEW ? "pinned now" : "pinned",
	    "client_version", MSG_VERSION, "you", output_json_user(me));
}

static void
cmd_status_print(const struct conn *conn, const Tier__StatusResponse *st,
    const Tier__User *me)
{
	char fp[KEYS_FINGERPRINT_SIZE], since[OUTPUT_TIME_SIZE], up[32];

	keys_fingerprint(conn_server_key(conn), fp);
	output_time(st->started_at, since);
	output_duration(st->now - st->started_at, up, sizeof(up));

	output_field(stdout, "server", st->server_name);
	output_field(stdout, "address", conn_address(conn));
	output_fieldf(stdout, "version", "tierd %s, protocol %u",
	    st->server_version, st->protocol_version);
	output_fieldf(stdout, "channel", "%s, encrypted, server key %s",
	    NOISE_TIER_PROTOCOL,
	    conn_pin_state(conn) == CONN_PIN_NEW ? "pinned now (first contact)"
						 : "verified (pinned)");
	output_field(stdout, "server key", fp);
	output_fieldf(stdout, "uptime", "%s (since %s)", up, since);
	output_fieldf(stdout, "connections", "%u", st->connections);
	output_fieldf(
	    stdout, "store", "%s, schema %u", st->store, st->schema_version);
	if (me->scope != NULL && *me->scope != '\0')
		output_fieldf(stdout, "you", "%s (%s, %s)", me->name,
		    msg_role_name(me->role), me->scope);
	else
		output_fieldf(stdout, "you", "%s (%s)", me->name,
		    msg_role_name(me->role));
}

int
cmd_status_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__StatusRequest status = TIER__STATUS_REQUEST__INIT;
	Tier__WhoamiRequest whoami = TIER__WHOAMI_REQUEST__INIT;
	Tier__Response *st = NULL, *me = NULL;
	struct conn *conn = NULL;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;

	req.body_case = TIER__REQUEST__BODY_STATUS;
	req.status = &status;
	if ((r = cmd_call(c, &conn, &req, &st)) != 0)
		goto out;
	req.body_case = TIER__REQUEST__BODY_WHOAMI;
	req.whoami = &whoami;
	if ((r = conn_call(conn, &req, &me)) != 0)
		goto out;
	if (me->whoami->user == NULL) {
		output_error(NULL, "the server sent no user");
		r = EXIT_OTHER;
		goto out;
	}
	/* The key the server reports must be the one it proved. */
	if (st->status->server_public_key.len != KEYS_LEN ||
	    sodium_memcmp(st->status->server_public_key.data,
		conn_server_key(conn), KEYS_LEN) != 0)
		output_warn("the server reports a key other than the one it "
			    "proved in the handshake; the proved one is shown");

	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(cmd_status_json(
			conn, st->status, me->whoami->user)) != 0)
			r = EXIT_OTHER;
	} else
		cmd_status_print(conn, st->status, me->whoami->user);
out:
	if (st != NULL)
		tier__response__free_unpacked(st, NULL);
	if (me != NULL)
		tier__response__free_unpacked(me, NULL);
	conn_free(conn);
	return r;
}
