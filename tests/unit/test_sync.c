/*
 * The local copy behind tier sync and --offline: where it lives and with
 * which permissions, records kept only when newer, and the answers the
 * offline commands get from it (filters, order, paging, ranks, quota
 * progress, not found).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "tier.h"

/* Helpers
 * --------------------------------------------------------------------*/

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A temporary directory and a store in a subdirectory not yet made. */
struct fixture {
	char dir[64];
	char path[128];
	struct sync_store *st;
};

static int
store_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sync.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/data/tier/h_1.db", f->dir);
	assert_int_equal(sync_store_open(f->path, 1, &f->st), 0);
	*state = f;
	return 0;
}

static int
store_teardown(void **state)
{
	struct fixture *f = *state;

	sync_store_close(f->st);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Writes the meta row: a synced copy of user u with scope. */
static void
put_meta(struct sync_store *st, const char *u, const char *scope)
{
	struct sync_meta m;

	memset(&m, 0, sizeof(m));
	snprintf(m.server, sizeof(m.server), "127.0.0.1:7433");
	snprintf(m.user, sizeof(m.user), "%s", u);
	snprintf(m.scope, sizeof(m.scope), "%s", scope);
	m.last_seq = 10;
	m.synced_at = 1700000000;
	assert_int_equal(sync_store_meta_put(st, &m), 0);
}

static void
put_candidate(struct sync_store *st, uint64_t id, uint64_t cycle,
    const char *segment, Tier__CandidateState state, double score,
    uint64_t version, uint32_t rank_bu, int *written)
{
	Tier__Candidate k = TIER__CANDIDATE__INIT;
	Tier__CandidateAction allowed[] = {
		TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE
	};
	char customer[32];

	snprintf(customer, sizeof(customer), "customer %llu",
	    (unsigned long long)id);
	k.id = id;
	k.cycle_id = cycle;
	k.segment = (char *)segment;
	k.customer_id = 100 + id;
	k.customer = customer;
	k.state = state;
	k.score = score;
	k.score_complete = score > 0;
	k.version = version;
	k.rank_bu = rank_bu;
	k.allowed = allowed;
	k.n_allowed = 1;
	assert_int_equal(sync_store_put_candidate(st, &k, id, written), 0);
}

static void
put_customer(struct sync_store *st, uint64_t id, const char *bu,
    const char *name, uint64_t version)
{
	Tier__Customer c = TIER__CUSTOMER__INIT;

	c.id = id;
	c.bu = (char *)bu;
	c.name = (char *)name;
	c.version = version;
	assert_int_equal(sync_store_put_customer(st, &c, 0, NULL), 0);
}

static void
put_cycle(struct sync_store *st, uint64_t id, const char *bu, uint32_t year,
    const char *segment)
{
	Tier__Cycle c = TIER__CYCLE__INIT;
	Tier__Quota q = TIER__QUOTA__INIT, *qs[] = { &q };

	c.id = id;
	c.bu = (char *)bu;
	c.year = year;
	c.state = TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	c.version = 1;
	q.segment = (char *)segment;
	q.quota = 5;
	q.proposed = 99; /* stale: recomputed from the copy */
	c.quotas = qs;
	c.n_quotas = 1;
	assert_int_equal(sync_store_put_cycle(st, &c, 0, NULL), 0);
}

/* Asks the store; the answer must carry no error. */
static Tier__Response *
ask(struct sync_store *st, Tier__Request *req)
{
	Tier__Response *resp = NULL;

	assert_int_equal(sync_store_answer(st, req, &resp), 0);
	assert_non_null(resp);
	return resp;
}

static Tier__Response *
ask_candidates(struct sync_store *st, uint64_t cycle, const char *segment,
    Tier__CandidateState state, uint32_t size, uint32_t offset)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateListRequest body = TIER__CANDIDATE_LIST_REQUEST__INIT;

	body.cycle_id = cycle;
	body.segment = (char *)segment;
	body.state = state;
	body.page_size = size;
	body.page_offset = offset;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_LIST;
	req.candidate_list = &body;
	return ask(st, &req);
}

static Tier__Response *
ask_customers(struct sync_store *st, const char *bu, const char *search,
    uint32_t size, uint64_t after)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerListRequest body = TIER__CUSTOMER_LIST_REQUEST__INIT;

	body.bu = (char *)bu;
	body.search = (char *)search;
	body.page_size = size;
	body.page_after = after;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_LIST;
	req.customer_list = &body;
	return ask(st, &req);
}

#define PROPOSED TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED
#define SCORED   TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED
#define APPROVED TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED
#define ANY      TIER__CANDIDATE_STATE__CANDIDATE_STATE_UNSPECIFIED

/* Where the copy lives
 * ---------------------------------------------------------*/

static void
test_path(void **state)
{
	char *p = NULL;

	(void)state;
	assert_int_equal(sync_path("/d", "127.0.0.1:7433", &p), 0);
	assert_string_equal(p, "/d/127.0.0.1_7433.db");
	free(p);
	assert_int_equal(sync_path("/d", "[::1]:7433", &p), 0);
	assert_string_equal(p, "/d/___1__7433.db");
	free(p);
	assert_int_equal(sync_path("/d", "tier-hq.example:7433", &p), 0);
	assert_string_equal(p, "/d/tier-hq.example_7433.db");
	free(p);
}

static void
test_dir(void **state)
{
	char *d = NULL;

	(void)state;
	setenv("HOME", "/home/x", 1);
	unsetenv("XDG_DATA_HOME");
	unsetenv("TIER_DATA_DIR");
	assert_int_equal(sync_dir(&d), 0);
	assert_string_equal(d, "/home/x/.local/share/tier");
	free(d);
	setenv("XDG_DATA_HOME", "relative/ignored", 1);
	assert_int_equal(sync_dir(&d), 0);
	assert_string_equal(d, "/home/x/.local/share/tier");
	free(d);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	assert_int_equal(sync_dir(&d), 0);
	assert_string_equal(d, "/xdg/tier");
	free(d);
	setenv("TIER_DATA_DIR", "/exact", 1);
	assert_int_equal(sync_dir(&d), 0);
	assert_string_equal(d, "/exact");
	free(d);
	unsetenv("TIER_DATA_DIR");
	unsetenv("XDG_DATA_HOME");
}

static void
test_open_modes(void **state)
{
	struct fixture *f = *state;
	struct sync_store *st = NULL;
	struct stat sb;
	char dir[160], missing[160];

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(dir, sizeof(dir), "%s/data/tier", f->dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);

	/* Loose modes are tightened when the copy is next written. */
	sync_store_close(f->st);
	f->st = NULL;
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(sync_store_open(f->path, 1, &f->st), 0);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* Reading never makes a copy. */
	snprintf(missing, sizeof(missing), "%s/none/x.db", f->dir);
	assert_int_equal(sync_store_open(missing, 0, &st), ERR_NOT_FOUND);
	assert_int_equal(stat(missing, &sb), -1);
	assert_int_equal(sync_store_open(f->path, 0, &st), 0);
	sync_store_close(st);
}

static void
test_meta(void **state)
{
	struct fixture *f = *state;
	struct sync_meta m, got;

	assert_int_equal(sync_store_meta_get(f->st, &got), 0);
	assert_int_equal(got.synced_at, 0);
	assert_int_equal(got.has_client_key, 0);

	memset(&m, 0, sizeof(m));
	snprintf(m.server, sizeof(m.server), "127.0.0.1:7433");
	snprintf(m.user, sizeof(m.user), "east");
	snprintf(m.scope, sizeof(m.scope), "segments:华东");
	m.role = TIER__ROLE__ROLE_SEGMENT_MGR;
	memset(m.client_key, 7, KEYS_LEN);
	m.has_client_key = 1;
	m.last_seq = 42;
	m.head_seq = 44;
	m.synced_at = 1700000000;
	m.full_at = 1600000000;
	assert_int_equal(sync_store_meta_put(f->st, &m), 0);
	assert_int_equal(sync_store_meta_get(f->st, &got), 0);
	assert_string_equal(got.server, "127.0.0.1:7433");
	assert_string_equal(got.user, "east");
	assert_string_equal(got.scope, "segments:华东");
	assert_int_equal(got.role, TIER__ROLE__ROLE_SEGMENT_MGR);
	assert_int_equal(got.has_client_key, 1);
	assert_memory_equal(got.client_key, m.client_key, KEYS_LEN);
	assert_int_equal(got.has_server_key, 0);
	assert_int_equal(got.last_seq, 42);
	assert_int_equal(got.head_seq, 44);
	assert_int_equal(got.synced_at, 1700000000);
	assert_int_equal(got.full_at, 1600000000);
}

/* Applying records
 * -------------------------------------------------------------*/

static void
test_newer_wins(void **state)
{
	struct fixture *f = *state;
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateGetRequest body = TIER__CANDIDATE_GET_REQUEST__INIT;
	Tier__Response *resp;
	uint64_t ncy = 9, ncu = 9, nca = 9;
	int written = -1;

	put_meta(f->st, "east", "bu:Drives");
	put_candidate(f->st, 1, 5, "A", SCORED, 50, 2, 0, &written);
	assert_int_equal(written, 1);
	/* An older version never replaces a newer one. */
	put_candidate(f->st, 1, 5, "A", PROPOSED, 0, 1, 0, &written);
	assert_int_equal(written, 0);
	put_candidate(f->st, 1, 5, "A", APPROVED, 60, 3, 0, &written);
	assert_int_equal(written, 1);
	/* The same version again: a fresher picture of it. */
	put_candidate(f->st, 1, 5, "A", APPROVED, 61, 3, 0, &written);
	assert_int_equal(written, 1);

	body.candidate_id = 1;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_GET;
	req.candidate_get = &body;
	resp = ask(f->st, &req);
	assert_null(resp->error);
	assert_int_equal(resp->body_case, TIER__RESPONSE__BODY_CANDIDATE_GET);
	assert_int_equal(resp->candidate_get->candidate->version, 3);
	assert_int_equal(resp->candidate_get->candidate->state, APPROVED);
	assert_true(resp->candidate_get->candidate->score == 61);
	/* The copy is for reading: no actions offered. */
	assert_int_equal(resp->candidate_get->candidate->n_allowed, 0);
	tier__response__free_unpacked(resp, NULL);

	assert_int_equal(sync_store_counts(f->st, &ncy, &ncu, &nca), 0);
	assert_int_equal(ncy, 0);
	assert_int_equal(ncu, 0);
	assert_int_equal(nca, 1);
	assert_int_equal(sync_store_clear(f->st), 0);
	assert_int_equal(sync_store_counts(f->st, &ncy, &ncu, &nca), 0);
	assert_int_equal(nca, 0);
}

static void
test_not_found(void **state)
{
	struct fixture *f = *state;
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerGetRequest body = TIER__CUSTOMER_GET_REQUEST__INIT;
	Tier__WhoamiRequest who = TIER__WHOAMI_REQUEST__INIT;
	Tier__Response *resp = NULL;

	put_meta(f->st, "east", "bu:Drives");
	body.customer_id = 77;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_GET;
	req.customer_get = &body;
	resp = ask(f->st, &req);
	assert_non_null(resp->error);
	assert_int_equal(
	    resp->error->code, TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND);
	assert_string_equal(resp->error->message, "no customer 77");
	assert_string_equal(resp->error->field, "customer_get.customer_id");
	assert_non_null(strstr(resp->error->hint, "tier sync"));
	tier__response__free_unpacked(resp, NULL);

	/* A list of an unknown cycle is refused as the server refuses it. */
	resp = ask_candidates(f->st, 12, "", ANY, 0, 0);
	assert_non_null(resp->error);
	assert_string_equal(resp->error->message, "no cycle 12");
	tier__response__free_unpacked(resp, NULL);

	/* What the copy does not hold is not answered at all. */
	resp = NULL;
	req.body_case = TIER__REQUEST__BODY_WHOAMI;
	req.whoami = &who;
	assert_int_equal(
	    sync_store_answer(f->st, &req, &resp), ERR_INVALID_ARG);
	assert_null(resp);
}

/* Answers
 * ----------------------------------------------------------------------*/

static void
test_candidate_list(void **state)
{
	struct fixture *f = *state;
	Tier__Response *resp;
	Tier__Candidate **k;

	put_meta(f->st, "buvp", "bu:Drives");
	put_cycle(f->st, 5, "Drives", 2027, "A");
	put_cycle(f->st, 6, "Drives", 2028, "A");
	put_candidate(f->st, 1, 5, "A", SCORED, 70, 1, 0, NULL);
	put_candidate(f->st, 2, 5, "B", APPROVED, 90, 1, 0, NULL);
	put_candidate(f->st, 3, 5, "A", PROPOSED, 0, 1, 0, NULL);
	put_candidate(f->st, 4, 5, "A", APPROVED, 80, 1, 0, NULL);
	put_candidate(f->st, 5, 6, "A", SCORED, 99, 1, 0, NULL);
	put_customer(f->st, 104, "Drives", "Renamed Ltd", 2);

	/* Best score first, unscored last; ranks per segment and BU. */
	resp = ask_candidates(f->st, 5, "", ANY, 0, 0);
	assert_null(resp->error);
	assert_int_equal(resp->candidate_list->total, 4);
	assert_int_equal(resp->candidate_list->n_candidates, 4);
	k = resp->candidate_list->candidates;
	assert_int_equal(k[0]->id, 2);
	assert_int_equal(k[1]->id, 4);
	assert_int_equal(k[2]->id, 1);
	assert_int_equal(k[3]->id, 3);
	assert_int_equal(k[0]->rank_segment, 1); /* B */
	assert_int_equal(k[0]->rank_bu, 1);
	assert_int_equal(k[1]->rank_segment, 1); /* A: 80 */
	assert_int_equal(k[1]->rank_bu, 2);
	assert_int_equal(k[2]->rank_segment, 2); /* A: 70 */
	assert_int_equal(k[2]->rank_bu, 3);
	assert_int_equal(k[3]->rank_segment, 0); /* unscored */
	assert_int_equal(k[3]->rank_bu, 0);
	/* The customer's name as the copy knows it now. */
	assert_string_equal(k[1]->customer, "Renamed Ltd");
	assert_string_equal(k[2]->customer, "customer 1");
	tier__response__free_unpacked(resp, NULL);

	/* Filters: segment, state; then paging. */
	resp = ask_candidates(f->st, 5, "A", ANY, 0, 0);
	assert_int_equal(resp->candidate_list->total, 3);
	tier__response__free_unpacked(resp, NULL);
	resp = ask_candidates(f->st, 5, "", APPROVED, 0, 0);
	assert_int_equal(resp->candidate_list->total, 2);
	assert_int_equal(resp->candidate_list->candidates[0]->id, 2);
	assert_int_equal(resp->candidate_list->candidates[1]->id, 4);
	tier__response__free_unpacked(resp, NULL);
	resp = ask_candidates(f->st, 5, "", ANY, 2, 2);
	assert_int_equal(resp->candidate_list->total, 4);
	assert_int_equal(resp->candidate_list->n_candidates, 2);
	assert_int_equal(resp->candidate_list->candidates[0]->id, 1);
	assert_int_equal(resp->candidate_list->candidates[1]->id, 3);
	tier__response__free_unpacked(resp, NULL);
	resp = ask_candidates(f->st, 6, "", ANY, 0, 0);
	assert_int_equal(resp->candidate_list->total, 1);
	tier__response__free_unpacked(resp, NULL);
}

static void
test_rank_bu_needs_the_bu(void **state)
{
	struct fixture *f = *state;
	Tier__Response *resp;

	/* Only segment A is in the copy: the BU rank stays the server's. */
	put_meta(f->st, "east", "segments:A");
	put_cycle(f->st, 5, "Drives", 2027, "A");
	put_candidate(f->st, 1, 5, "A", SCORED, 70, 1, 4, NULL);
	put_candidate(f->st, 2, 5, "A", SCORED, 60, 1, 7, NULL);
	resp = ask_candidates(f->st, 5, "", ANY, 0, 0);
	assert_int_equal(resp->candidate_list->candidates[0]->rank_segment, 1);
	assert_int_equal(resp->candidate_list->candidates[0]->rank_bu, 4);
	assert_int_equal(resp->candidate_list->candidates[1]->rank_segment, 2);
	assert_int_equal(resp->candidate_list->candidates[1]->rank_bu, 7);
	tier__response__free_unpacked(resp, NULL);
}

static void
test_customer_list(void **state)
{
	struct fixture *f = *state;
	Tier__Response *resp;

	put_meta(f->st, "east", "bu:Drives");
	put_customer(f->st, 1, "Drives", "ACME 传动有限公司", 1);
	put_customer(f->st, 2, "Drives", "Borealis  Motors", 1);
	put_customer(f->st, 3, "Pumps", "Acme Pumps", 1);
	put_customer(f->st, 4, "Drives", "Cirrus", 1);

	resp = ask_customers(f->st, "", "", 0, 0);
	assert_int_equal(resp->customer_list->n_customers, 4);
	assert_int_equal(resp->customer_list->next_page_after, 0);
	tier__response__free_unpacked(resp, NULL);

	resp = ask_customers(f->st, "Drives", "", 0, 0);
	assert_int_equal(resp->customer_list->n_customers, 3);
	tier__response__free_unpacked(resp, NULL);

	/* Case, width and spacing do not matter. */
	resp = ask_customers(f->st, "", "ａｃｍｅ", 0, 0);
	assert_int_equal(resp->customer_list->n_customers, 2);
	tier__response__free_unpacked(resp, NULL);
	resp = ask_customers(f->st, "Drives", " acme  传动 ", 0, 0);
	assert_int_equal(resp->customer_list->n_customers, 1);
	assert_int_equal(resp->customer_list->customers[0]->id, 1);
	tier__response__free_unpacked(resp, NULL);
	resp = ask_customers(f->st, "", "borealis motors", 0, 0);
	assert_int_equal(resp->customer_list->n_customers, 1);
	tier__response__free_unpacked(resp, NULL);

	/* Beyond ASCII, the server's NFKC and case folding: the offline
	 * search finds what the online one finds. */
	put_customer(f->st, 5, "Drives", "ÄRZTE Bedarf ①", 1);
	resp = ask_customers(f->st, "", "ärzte bedarf 1", 0, 0);
	assert_int_equal(resp->customer_list->n_customers, 1);
	assert_int_equal(resp->customer_list->customers[0]->id, 5);
	tier__response__free_unpacked(resp, NULL);
	/* Search text that is not UTF-8 is refused as the server does. */
	{
		Tier__Request req = TIER__REQUEST__INIT;
		Tier__CustomerListRequest body =
		    TIER__CUSTOMER_LIST_REQUEST__INIT;

		body.bu = "";
		body.search = "acme\xff";
		req.body_case = TIER__REQUEST__BODY_CUSTOMER_LIST;
		req.customer_list = &body;
		assert_int_equal(sync_store_answer(f->st, &req, &resp), 0);
		assert_non_null(resp->error);
		assert_int_equal(resp->error->code,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST);
		assert_string_equal(resp->error->field, "customer_list.search");
		tier__response__free_unpacked(resp, NULL);
	}

	/* Pages by id. */
	resp = ask_customers(f->st, "", "", 2, 0);
	assert_int_equal(resp->customer_list->n_customers, 2);
	assert_int_equal(resp->customer_list->next_page_after, 2);
	tier__response__free_unpacked(resp, NULL);
	resp = ask_customers(f->st, "", "", 2, 2);
	assert_int_equal(resp->customer_list->n_customers, 2);
	assert_int_equal(resp->customer_list->customers[0]->id, 3);
	assert_int_equal(resp->customer_list->next_page_after, 4);
	tier__response__free_unpacked(resp, NULL);
}

static void
test_cycles(void **state)
{
	struct fixture *f = *state;
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleListRequest list = TIER__CYCLE_LIST_REQUEST__INIT;
	Tier__CycleGetRequest get = TIER__CYCLE_GET_REQUEST__INIT;
	Tier__Response *resp;

	put_meta(f->st, "buvp", "bg:Industrial");
	put_cycle(f->st, 5, "Drives", 2027, "A");
	put_cycle(f->st, 6, "Drives", 2028, "A");
	put_cycle(f->st, 7, "Pumps", 2027, "W");
	put_candidate(f->st, 1, 5, "A", SCORED, 70, 1, 0, NULL);
	put_candidate(f->st, 2, 5, "A", APPROVED, 90, 1, 0, NULL);
	put_candidate(f->st, 3, 5, "B", APPROVED, 90, 1, 0, NULL);

	req.body_case = TIER__REQUEST__BODY_CYCLE_LIST;
	req.cycle_list = &list;
	list.bu = "";
	resp = ask(f->st, &req);
	assert_int_equal(resp->cycle_list->n_cycles, 3);
	/* Newest year first. */
	assert_int_equal(resp->cycle_list->cycles[0]->id, 6);
	tier__response__free_unpacked(resp, NULL);
	list.bu = "Pumps";
	resp = ask(f->st, &req);
	assert_int_equal(resp->cycle_list->n_cycles, 1);
	assert_int_equal(resp->cycle_list->cycles[0]->id, 7);
	tier__response__free_unpacked(resp, NULL);

	/* Quota progress is counted from the copy. */
	get.cycle_id = 5;
	req.body_case = TIER__REQUEST__BODY_CYCLE_GET;
	req.cycle_get = &get;
	resp = ask(f->st, &req);
	assert_null(resp->error);
	assert_int_equal(resp->cycle_get->cycle->n_quotas, 1);
	assert_int_equal(resp->cycle_get->cycle->quotas[0]->quota, 5);
	assert_int_equal(resp->cycle_get->cycle->quotas[0]->proposed, 2);
	assert_int_equal(resp->cycle_get->cycle->quotas[0]->approved, 1);
	tier__response__free_unpacked(resp, NULL);
}

/* The offline copy normalises names with the server's function. */
static void
test_norm_name(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "ACME", "acme" },
		{ "  ＡＣＭＥ　传动  有限公司 ", "acme 传动 有限公司" },
		{ "a\t\nb", "a b" },
		{ "", "" },
		{ "   ", "" },
		{ "ÄRZTE ①", "ärzte 1" },
		{ "ﬁne", "fine" },
	};
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(msg_norm_name(cases[i].in, &out), 0);
		assert_string_equal(out, cases[i].want);
		free(out);
	}
	assert_int_equal(msg_norm_name("\xff\xfe", &out), ERR_INVALID_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_norm_name),
		cmocka_unit_test_setup_teardown(
		    test_open_modes, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_meta, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_newer_wins, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_not_found, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_candidate_list, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_rank_bu_needs_the_bu, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_customer_list, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cycles, store_setup, store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
