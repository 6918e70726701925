/*
 * Queries on inquiries and the annual review: the inquiry log of each BU with
 * the marketing head's decisions, its monthly counts, the link from a
 * candidate back to the inquiry it was promoted from, and the per tier and
 * segment figures of a closed cycle's targets.
 */
#include "store_db.h"

#include <stdio.h>
#include <string.h>

#define INQUIRY_COLUMNS                                                        \
	"i.id, i.bu_id, COALESCE(i.segment_id, 0), i.channel, i.received_on, " \
	"i.caller, i.company, i.request, i.handling, i.outcome, i.note, "      \
	"COALESCE(i.customer_id, 0), COALESCE(i.candidate_id, 0), "            \
	"COALESCE(i.cycle_id, 0), i.logged_by, i.created_at, "                 \
	"COALESCE(i.decided_by, 0), i.decided_at, b.name, "                    \
	"COALESCE(s.name, ''), l.name, COALESCE(d.name, '')"
#define INQUIRY_FROM                                                           \
	" FROM inquiries i JOIN units b ON b.id = i.bu_id "                    \
	"LEFT JOIN units s ON s.id = i.segment_id "                            \
	"JOIN users l ON l.id = i.logged_by "                                  \
	"LEFT JOIN users d ON d.id = i.decided_by "

static const char sql_inquiry_get[] =
    "SELECT " INQUIRY_COLUMNS INQUIRY_FROM "WHERE i.id = ?1";
static const char sql_inquiry_each[] =
    "SELECT " INQUIRY_COLUMNS INQUIRY_FROM
    "WHERE i.id < ?1 AND (?2 = 0 OR i.bu_id = ?2) AND "
    "(?3 = '' OR substr(i.received_on, 1, 7) = ?3) AND "
    "(?4 = 0 OR i.outcome = 1) ORDER BY i.id DESC";
static const char sql_inquiry_insert[] =
    "INSERT INTO inquiries (bu_id, segment_id, channel, received_on, caller, "
    "company, request, handling, logged_by, created_at) VALUES (?1, "
    "NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char sql_inquiry_decide[] =
    "UPDATE inquiries SET outcome = ?2, note = ?3, customer_id = "
    "NULLIF(?4, 0), candidate_id = NULLIF(?5, 0), cycle_id = NULLIF(?6, 0), "
    "decided_by = ?7, decided_at = ?8 WHERE id = ?1 AND outcome = 1";
static const char sql_inquiry_counts[] =
    "SELECT 0, COALESCE(segment_id, 0), COUNT(*) FROM inquiries "
    "WHERE bu_id = ?1 AND substr(received_on, 1, 7) = ?2 GROUP BY 2 "
    "UNION ALL SELECT 1, channel, COUNT(*) FROM inquiries "
    "WHERE bu_id = ?1 AND substr(received_on, 1, 7) = ?2 GROUP BY 2 "
    "UNION ALL SELECT 2, outcome, COUNT(*) FROM inquiries "
    "WHERE bu_id = ?1 AND substr(received_on, 1, 7) = ?2 GROUP BY 2";
static const char sql_open_cycle[] =
    "SELECT id FROM cycles WHERE bu_id = ?1 AND state = ?2 "
    "ORDER BY year DESC LIMIT 1";
static const char sql_review_promoted[] =
    "SELECT COUNT(*) FROM inquiries WHERE cycle_id = ?1 AND outcome = ?2";
/*
 * The targets of a cycle (its approved candidates) by tier and segment:
 * visits dated and complaints opened in year ?2 (dates "YYYY-MM-DD"),
 * revenue and plan of year ?3, and how many came from an inquiry.
 */
static const char sql_review[] =
    "SELECT c.tier, u.name, COUNT(*), "
    "COALESCE(SUM((SELECT COUNT(*) FROM visits v WHERE v.customer_id = "
    "c.customer_id AND substr(v.visit_date, 1, 4) = ?2)), 0), "
    "COALESCE(SUM((SELECT COUNT(*) FROM complaints k WHERE k.customer_id = "
    "c.customer_id AND substr(k.opened_on, 1, 4) = ?2)), 0), "
    "COALESCE(SUM((SELECT r.amount FROM revenue r WHERE r.customer_id = "
    "c.customer_id AND r.year = ?3)), 0), "
    "COALESCE(SUM((SELECT r.plan FROM revenue r WHERE r.customer_id = "
    "c.customer_id AND r.year = ?3)), 0), "
    "COALESCE(SUM(EXISTS (SELECT 1 FROM inquiries i WHERE i.candidate_id = "
    "c.id)), 0) "
    "FROM candidates c JOIN units u ON u.id = c.segment_id "
    "WHERE c.cycle_id = ?1 AND c.state = ?4 "
    "GROUP BY c.tier, u.name ORDER BY c.tier DESC, u.name";

/* Fills q from the row; strings point into it until the next step. */
static void
store_row_inquiry(sqlite3_stmt *s, struct store_inquiry *q)
{
	const char **texts[] = { &q->caller, &q->company, &q->request,
		&q->handling };
	const char **joined[] = { &q->bu, &q->segment, &q->logger,
		&q->decider };
	size_t i;

	memset(q, 0, sizeof(*q));
	q->id = sqlite3_column_int64(s, 0);
	q->bu_id = sqlite3_column_int64(s, 1);
	q->segment_id = sqlite3_column_int64(s, 2);
	q->channel = (Tier__InquiryChannel)sqlite3_column_int(s, 3);
	store_copy_text(q->received_on, sizeof(q->received_on), s, 4);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		*texts[i] = store_text(s, 5 + (int)i);
	q->outcome = (Tier__InquiryOutcome)sqlite3_column_int(s, 9);
	q->note = store_text(s, 10);
	q->customer_id = sqlite3_column_int64(s, 11);
	q->candidate_id = sqlite3_column_int64(s, 12);
	q->cycle_id = sqlite3_column_int64(s, 13);
	q->logged_by = sqlite3_column_int64(s, 14);
	q->created_at = sqlite3_column_int64(s, 15);
	q->decided_by = sqlite3_column_int64(s, 16);
	q->decided_at = sqlite3_column_int64(s, 17);
	for (i = 0; i < sizeof(joined) / sizeof(joined[0]); i++)
		*joined[i] = store_text(s, 18 + (int)i);
}

int
store_inquiry_keep(struct arena *a, struct store_inquiry *q)
{
	const char **fields[] = { &q->caller, &q->company, &q->request,
		&q->handling, &q->note, &q->bu, &q->segment, &q->logger,
		&q->decider };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((*fields[i] = arena_strdup(a, *fields[i])) == NULL)
			return ERR_ALLOC;
	}
	return 0;
}

int
store_inquiry_get(struct store *st, struct arena *arena, int64_t id,
    struct store_inquiry *out)
{
	sqlite3_stmt *s = store_sql(st, sql_inquiry_get);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_row(st, s, "inquiry lookup")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	store_row_inquiry(s, out);
	r = store_inquiry_keep(arena, out);
	sqlite3_reset(s);
	return r;
}

int
store_inquiry_each(struct store *st, const struct store_inquiry_filter *f,
    int (*fn)(const struct store_inquiry *q, void *arg), void *arg)
{
	sqlite3_stmt *s = store_sql(st, sql_inquiry_each);
	struct store_inquiry q;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, f->before > 0 ? f->before : INT64_MAX);
	sqlite3_bind_int64(s, 2, f->bu_id);
	sqlite3_bind_text(s, 3, f->month, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, f->open_only != 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_row_inquiry(s, &q);
		if ((r = fn(&q, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, "inquiry list");
	sqlite3_reset(s);
	return r;
}

int
store_inquiry_insert(struct store *st, struct store_inquiry *q)
{
	sqlite3_stmt *s = store_sql(st, sql_inquiry_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, q->bu_id);
	sqlite3_bind_int64(s, 2, q->segment_id);
	sqlite3_bind_int(s, 3, (int)q->channel);
	sqlite3_bind_text(s, 4, q->received_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, q->caller, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, q->company, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, q->request, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, q->handling, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 9, q->logged_by);
	sqlite3_bind_int64(s, 10, q->created_at);
	if ((r = store_run(st, s, "inquiry insert")) != 0)
		return r;
	q->id = store_last_id(st);
	q->outcome = TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_OPEN;
	return 0;
}

int
store_inquiry_decide(struct store *st, const struct store_inquiry *q)
{
	sqlite3_stmt *s = store_sql(st, sql_inquiry_decide);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, q->id);
	sqlite3_bind_int(s, 2, (int)q->outcome);
	sqlite3_bind_text(s, 3, q->note, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, q->customer_id);
	sqlite3_bind_int64(s, 5, q->candidate_id);
	sqlite3_bind_int64(s, 6, q->cycle_id);
	sqlite3_bind_int64(s, 7, q->decided_by);
	sqlite3_bind_int64(s, 8, q->decided_at);
	if ((r = store_run(st, s, "inquiry decide")) != 0)
		return r;
	return store_changes(st) == 1 ? 0 : ERR_CONFLICT;
}

int
store_inquiry_counts(struct store *st, int64_t bu_id, const char *month,
    int (*fn)(int by, int64_t key, uint32_t count, void *arg), void *arg)
{
	sqlite3_stmt *s = store_sql(st, sql_inquiry_counts);
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, bu_id);
	sqlite3_bind_text(s, 2, month, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = fn(sqlite3_column_int(s, 0),
			 sqlite3_column_int64(s, 1),
			 (uint32_t)sqlite3_column_int64(s, 2), arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, "inquiry counts");
	sqlite3_reset(s);
	return r;
}

int
store_inquiry_open_cycle(struct store *st, int64_t bu_id, int64_t *cycle_id)
{
	sqlite3_stmt *s = store_sql(st, sql_open_cycle);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, bu_id);
	sqlite3_bind_int(s, 2, TIER__CYCLE_STATE__CYCLE_STATE_OPEN);
	if ((r = store_row(st, s, "open cycle")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	*cycle_id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_review(struct store *st, struct arena *arena,
    const struct store_cycle *cy, struct store_review_row **out, size_t *n,
    uint32_t *promoted)
{
	sqlite3_stmt *s = store_sql(st, sql_review);
	struct store_review_row *rows = NULL, *p;
	size_t count = 0, cap = 0;
	char year[8];
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	snprintf(year, sizeof(year), "%04u", cy->year);
	sqlite3_bind_int64(s, 1, cy->id);
	sqlite3_bind_text(s, 2, year, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, cy->year);
	sqlite3_bind_int(s, 4, TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = arena_alloc(arena, cap * sizeof(*p))) ==
			    NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			if (count > 0)
				memcpy(p, rows, count * sizeof(*p));
			rows = p;
		}
		p = &rows[count];
		p->tier = (Tier__TierLevel)sqlite3_column_int(s, 0);
		if ((p->segment = store_arena_text(arena, s, 1)) == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		p->targets = (uint32_t)sqlite3_column_int64(s, 2);
		p->visits = (uint32_t)sqlite3_column_int64(s, 3);
		p->complaints = (uint32_t)sqlite3_column_int64(s, 4);
		p->revenue = sqlite3_column_int64(s, 5);
		p->plan = sqlite3_column_int64(s, 6);
		p->from_inquiries = (uint32_t)sqlite3_column_int64(s, 7);
		count++;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "review");
out:
	sqlite3_reset(s);
	if (r != 0)
		return r;
	if ((s = store_sql(st, sql_review_promoted)) == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cy->id);
	sqlite3_bind_int(s, 2, TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_PROMOTED);
	if ((r = store_row(st, s, "review inquiries")) < 0)
		return r;
	*promoted = r == 1 ? (uint32_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	*out = rows;
	*n = count;
	return 0;
}
