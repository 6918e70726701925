/*
 * delegation_add through its command row on a real database: the period is
 * the client's pair of int64, so its length is checked without overflowing,
 * and an acceptable period is stored and audited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tierd.h"

#define NOW 1800000000 /* request time, Unix seconds */

struct fixture {
	char dir[64];  /* temporary directory */
	char path[96]; /* database file inside it */
	struct server srv;
	struct store_user vp; /* the approver who delegates */
	struct scope scope;   /* vp's */
	struct arena *arena;
};

static int64_t
user_add(struct store *st, const char *name, Tier__Role role, const char *scope,
    struct store_user *out)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.scope, sizeof(u.scope), "%s", scope);
	u.role = role;
	u.created_at = 100;
	assert_int_equal(store_user_insert(st, &u), 0);
	if (out != NULL)
		*out = u;
	return u.id;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_cmd_delegation.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tier.db", f->dir);
	if (store_open(&f->srv.store, f->path, why, sizeof(why)) != 0)
		return -1;
	user_add(f->srv.store, "vp", TIER__ROLE__ROLE_BU_VP, "bu:X", &f->vp);
	user_add(f->srv.store, "dep", TIER__ROLE__ROLE_SEGMENT_MGR,
	    "segments:A", NULL);
	if (scope_resolve(f->vp.scope, NULL, 0, &f->scope) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[128];

	arena_free(f->arena);
	scope_release(&f->scope);
	store_close(f->srv.store);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Runs delegation_add for vp; resp is filled in f's arena. */
static int
delegate(
    struct fixture *f, int64_t starts_at, int64_t ends_at, Tier__Response *resp)
{
	const struct cmd_entry *cmd =
	    dispatch_lookup(TIER__REQUEST__BODY_DELEGATION_ADD);
	Tier__DelegationAddRequest a = TIER__DELEGATION_ADD_REQUEST__INIT;
	Tier__Request req = TIER__REQUEST__INIT;
	struct cmd_ctx ctx;

	assert_non_null(cmd);
	arena_free(f->arena);
	assert_int_equal(arena_new(&f->arena), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.srv = &f->srv;
	ctx.user = &f->vp;
	ctx.arena = f->arena;
	ctx.now = NOW;
	ctx.scope = &f->scope;
	a.deputy = "dep";
	a.starts_at = starts_at;
	a.ends_at = ends_at;
	req.body_case = TIER__REQUEST__BODY_DELEGATION_ADD;
	req.delegation_add = &a;
	tier__response__init(resp);
	return cmd->handler(&ctx, &req, resp);
}

static void
test_extreme_period(void **state)
{
	struct fixture *f = *state;
	struct store_delegation *d = NULL;
	Tier__Response resp;
	size_t n = 9;

	/* ends_at - starts_at does not fit an int64. */
	assert_int_not_equal(delegate(f, INT64_MIN, INT64_MAX, &resp), 0);
	assert_non_null(resp.error);
	assert_int_equal(
	    resp.error->code, TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST);
	assert_non_null(strstr(resp.error->message, "too long"));
	assert_int_not_equal(delegate(f, -1, INT64_MAX, &resp), 0);
	assert_non_null(strstr(resp.error->message, "too long"));
	/* One second past the limit. */
	assert_int_not_equal(delegate(f, NOW, NOW + 366 * 86400 + 1, &resp), 0);
	assert_non_null(strstr(resp.error->message, "367 days"));
	assert_int_equal(store_delegation_list(f->srv.store, 0, &d, &n), 0);
	assert_int_equal(n, 0);
	free(d);
}

static void
test_period(void **state)
{
	struct fixture *f = *state;
	struct store_delegation *d = NULL;
	Tier__Response resp;
	size_t n = 0;

	assert_int_equal(delegate(f, NOW, NOW + 366 * 86400, &resp), 0);
	assert_null(resp.error);
	assert_non_null(resp.delegation_add);
	assert_string_equal(resp.delegation_add->delegation->deputy, "dep");
	assert_int_equal(store_delegation_list(f->srv.store, 0, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].ends_at - d[0].starts_at, 366 * 86400);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_extreme_period, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
