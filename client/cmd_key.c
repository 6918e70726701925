/*
 * "tier key": where this client's identity key lives and its fingerprint,
 * creating the key when there is none, so a user can show it to an
 * administrator before or after enrolling.
 */
#include "tier.h"

int
cmd_key_main(const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	char fp[KEYS_FINGERPRINT_SIZE], b64[KEYS_B64_SIZE];
	struct keypair *kp = NULL;
	int created = 0, r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;

	if ((r = conn_key_load(c, &kp, 1, &created)) != 0)
		goto out;
	keys_fingerprint(kp->pub, fp);
	keys_pub_to_b64(kp->pub, b64);
	if (c->output == CFG_OUTPUT_JSON) {
		r = output_json_print(json_pack("{s:s, s:s, s:s, s:b}", "path",
			c->key_path, "fingerprint", fp, "public_key", b64,
			"created", created)) == 0
			? EXIT_OK
			: EXIT_OTHER;
		goto out;
	}
	output_fieldf(stdout, "key", "%s%s", c->key_path,
	    created ? " (created now)" : "");
	output_field(stdout, "fingerprint", fp);
	output_field(stdout, "public key", b64);
out:
	keys_free(kp);
	return r;
}
