/*
 * "tier audit show KIND ID" and "tier audit verify": the history of one
 * record, field by field, and a check of the whole hash-chained log.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tier.h"

/* A JSON value as short text for the change column. */
static char *
audit_value_text(json_t *v)
{
	if (v == NULL)
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * What an entry changed: "field: old -> new" for each field whose value
 * differs, joined by "; " (creations list the new values). Returns a heap
 * string, or NULL when out of memory.
 */
static char *
audit_changes(const char *before, const char *after)
{
	json_t *b = *before ? json_loads(before, 0, NULL) : NULL;
	json_t *a = *after ? json_loads(after, 0, NULL) : NULL;
	const char *key;
	json_t *nv;
	char *out = NULL, *ov_s, *nv_s, *p;
	size_t len = 0;

	if ((out = strdup("")) == NULL)
		goto done;
	json_object_foreach(a, key, nv)
	{
		json_t *ov = b ? json_object_get(b, key) : NULL;

		if (ov != NULL && json_equal(ov, nv))
			continue;
		/* Bookkeeping fields change every time: not news. */
		if (strcmp(key, "version") == 0 ||
		    strcmp(key, "updated_at") == 0 ||
		    strcmp(key, "updated_by") == 0)
			continue;
		ov_s = audit_value_text(ov);
		nv_s = audit_value_text(nv);
		if (ov_s == NULL || nv_s == NULL) {
			free(ov_s);
			free(nv_s);
			free(out);
			out = NULL;
			goto done;
		}
		p = realloc(
		    out, len + strlen(key) + strlen(ov_s) + strlen(nv_s) + 16);
		if (p == NULL) {
			free(ov_s);
			free(nv_s);
			free(out);
			out = NULL;
			goto done;
		}
		out = p;
		len += (size_t)sprintf(out + len, "%s%s: %s -> %s",
		    len ? "; " : "", key, b ? ov_s : "", nv_s);
		free(ov_s);
		free(nv_s);
	}
done:
	json_decref(a);
	json_decref(b);
	return out;
}

static json_t *
audit_json_entry(const Tier__AuditEntry *e)
{
	char hex[65];
	json_t *before = *e->before ? json_loads(e->before, 0, NULL) : NULL;
	json_t *after = *e->after ? json_loads(e->after, 0, NULL) : NULL;

	sodium_bin2hex(
	    hex, sizeof(hex), e->hash.data, e->hash.len == 32 ? 32 : 0);
	return json_pack("{s:I, s:o, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s}",
	    "seq", (json_int_t)e->seq, "at", output_json_time(e->at), "user",
	    e->user, "action", e->action, "entity", e->entity, "entity_id",
	    (json_int_t)e->entity_id, "before", before ? before : json_null(),
	    "after", after ? after : json_null(), "reason", e->reason, "hash",
	    hex);
}

static int
audit_show(const struct cmd_entry *self, char **argv, struct cfg *c)
{
	static const char *const headers[] = { "SEQ", "WHEN", "USER", "ACTION",
		"REASON", "CHANGES" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__AuditListRequest body = TIER__AUDIT_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *arr = NULL;
	char when[OUTPUT_TIME_SIZE], seq[24], *changes, *end;
	size_t i;
	int r;

	errno = 0;
	body.entity = argv[0];
	body.entity_id = strtoull(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || body.entity_id == 0 ||
	    argv[1][0] == '-')
		return cmd_usage_error(
		    self, "'%s' is not a record id", argv[1]);
	req.body_case = TIER__REQUEST__BODY_AUDIT_LIST;
	req.audit_list = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	r = EXIT_OTHER;
	if (c->output == CFG_OUTPUT_JSON) {
		if ((arr = json_array()) == NULL)
			goto oom;
		for (i = 0; i < resp->audit_list->n_entries; i++) {
			if (json_array_append_new(
				arr, audit_json_entry(
					 resp->audit_list->entries[i])) != 0)
				goto oom;
		}
		r = output_json_print(json_pack("{s:O}", "entries", arr)) == 0
			? EXIT_OK
			: EXIT_OTHER;
		goto out;
	}
	if (output_table_new(&t, 6, headers) != 0)
		goto oom;
	for (i = 0; i < resp->audit_list->n_entries; i++) {
		const Tier__AuditEntry *e = resp->audit_list->entries[i];

		output_time(e->at, when);
		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->seq);
		if ((changes = audit_changes(e->before, e->after)) == NULL)
			goto oom;
		const char *cells[] = { seq, when, e->user, e->action,
			e->reason, changes };
		r = output_table_add(t, cells);
		free(changes);
		if (r != 0)
			goto oom;
	}
	output_table_print(t, stdout);
	r = EXIT_OK;
	goto out;
oom:
	output_error(NULL, "out of memory");
	r = EXIT_OTHER;
out:
	json_decref(arr);
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_audit_show_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 2, 2)) != CMD_CONTINUE)
		return r;
	return audit_show(self, argv + optind, c);
}

int
cmd_audit_verify_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__AuditVerifyRequest body = TIER__AUDIT_VERIFY_REQUEST__INIT;
	Tier__Response *resp = NULL;
	const Tier__AuditVerifyResponse *v;
	struct conn *conn = NULL;
	char head[65] = "";
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;
	req.body_case = TIER__REQUEST__BODY_AUDIT_VERIFY;
	req.audit_verify = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	v = resp->audit_verify;
	if (v->head_hash.len == 32)
		sodium_bin2hex(head, sizeof(head), v->head_hash.data, 32);
	/* A broken chain is a failure of the command: scripts see it. */
	r = v->ok ? EXIT_OK : EXIT_OTHER;
	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(json_pack("{s:b, s:I, s:I, s:s, s:s}",
			"ok", v->ok, "entries", (json_int_t)v->entries,
			"first_bad", (json_int_t)v->first_bad, "problem",
			v->problem, "head_hash", head)) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	if (v->ok) {
		printf("audit log intact: %llu entries verified\n",
		    (unsigned long long)v->entries);
		output_field(stdout, "head", head);
	} else {
		output_error("restore the database from a backup and compare; "
			     "keep the head hash of each verification outside "
			     "the server",
		    "audit log broken at entry %llu: %s",
		    (unsigned long long)v->first_bad, v->problem);
	}
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
