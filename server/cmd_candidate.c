/*
 * candidate propose, act, get and list. A transition is decided by
 * workflow.c alone: the handlers gather its facts from the store (who is
 * acting and for whom, the candidate's chain and approvals, its scores after
 * the request's), and on success apply its effects, the scores and the audit
 * entry in the request's transaction. Also the wire and audit forms of a
 * candidate, shared with the queue and the reports.
 */
#include "tierd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAND_PAGE_DEFAULT      100
#define CAND_PAGE_MAX          1000
#define CAND_REASON_MAX        1000 /* bytes of a reason */
#define CAND_JUSTIFICATION_MAX 2000
#define CAND_FORM_SIZE         1024 /* room for most audit forms at once */

#define ACTION_BIT(a) (1u << TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_##a)
#define STATE_PENDING TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING
#define BAD_REQUEST   TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST
#define NOT_FOUND     TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND

static const char *const cand_tier_names[] = {
	[TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED] = "",
	[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL] = "general",
	[TIER__TIER_LEVEL__TIER_LEVEL_KEY] = "key",
	[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC] = "strategic",
};

const char *
cmd_candidate_tier_name(Tier__TierLevel t)
{
	return (unsigned)t <
		       sizeof(cand_tier_names) / sizeof(cand_tier_names[0])
		   ? cand_tier_names[t]
		   : "unknown";
}

/* One criterion in force and the candidate's score on it. */
struct cand_line {
	const struct store_criterion *crit; /* in the criteria set */
	int scored;                         /* has a score of that version */
	uint32_t value;
	const char *scorer; /* user name */
};

/* A candidate's score sheet against the criteria in force. */
struct cand_sheet {
	struct store_criteria set; /* the version in force; n 0 if none */
	struct cand_line *lines;   /* set.n of them, in ctx's arena */
	double score;              /* weighted, rounded to hundredths */
	int complete;              /* every line scored */
	Tier__TierLevel suggested; /* UNSPECIFIED unless complete */
};

/* Rounds a non-negative score to hundredths without libm. */
static double
cand_round(double x)
{
	return (double)(int64_t)(x * 100.0 + 0.5) / 100.0;
}

static double
cand_points(const struct cand_line *l)
{
	const struct store_criterion *c = l->crit;

	if (!l->scored || c->scale_max <= c->scale_min)
		return 0;
	return (double)c->weight * (double)(l->value - c->scale_min) /
	       (double)(c->scale_max - c->scale_min);
}

/* Recomputes score, completeness and the suggested tier from the lines. */
static void
cand_sheet_compute(struct cand_sheet *sh, const struct store_cycle *cy)
{
	double sum = 0;
	size_t i, scored = 0;

	for (i = 0; i < sh->set.n; i++) {
		sum += cand_points(&sh->lines[i]);
		scored += sh->lines[i].scored != 0;
	}
	sh->score = cand_round(sum);
	sh->complete = sh->set.n > 0 && scored == sh->set.n;
	if (!sh->complete)
		sh->suggested = TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED;
	else if (sh->score >= cy->cut_strategic)
		sh->suggested = TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC;
	else if (sh->score >= cy->cut_key)
		sh->suggested = TIER__TIER_LEVEL__TIER_LEVEL_KEY;
	else
		sh->suggested = TIER__TIER_LEVEL__TIER_LEVEL_GENERAL;
}

/* Loads the criteria in force and c's scores against them. */
static int
cand_sheet_load(struct cmd_ctx *ctx, const struct store_candidate *c,
    const struct store_cycle *cy, struct cand_sheet *sh)
{
	struct store *st = ctx->srv->store;
	struct store_candidate_score *scores = NULL;
	size_t i, j, n = 0;
	int r;

	memset(sh, 0, sizeof(*sh));
	if (cy->criteria_version != 0) {
		r = store_criteria_get(
		    st, ctx->arena, cy->id, cy->criteria_version, &sh->set);
		if (r != 0 && r != ERR_NOT_FOUND)
			return r;
		if (r == ERR_NOT_FOUND)
			memset(&sh->set, 0, sizeof(sh->set));
	}
	if (sh->set.n > 0) {
		sh->lines =
		    arena_alloc(ctx->arena, sh->set.n * sizeof(*sh->lines));
		if (sh->lines == NULL)
			return ERR_ALLOC;
		if (c != NULL &&
		    (r = store_candidate_scores(st, ctx->arena, c->id,
			 cy->criteria_version, &scores, &n)) != 0)
			return r;
	}
	for (i = 0; i < sh->set.n; i++) {
		sh->lines[i].crit = &sh->set.criteria[i];
		for (j = 0; j < n; j++) {
			if (strcmp(scores[j].criterion,
				sh->set.criteria[i].name) == 0) {
				sh->lines[i].scored = 1;
				sh->lines[i].value = scores[j].value;
				sh->lines[i].scorer = scores[j].scorer;
			}
		}
	}
	cand_sheet_compute(sh, cy);
	return 0;
}

/* "2,1" -> bu_vp, bg_vp; at most max steps. Returns how many. */
static size_t
cand_chain_parse(const char *text, Tier__Role *steps, size_t max)
{
	size_t n = 0;
	char *end;
	long v;

	while (*text != '\0' && n < max) {
		v = strtol(text, &end, 10);
		if (end == text || v <= 0 || v > TIER__ROLE__ROLE_AUDITOR)
			break;
		steps[n++] = (Tier__Role)v;
		text = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			break;
	}
	return n;
}

/* The policy chain of a tier as the candidates.chain column holds it. */
static int
cand_chain_format(
    struct arena *a, const struct store_chain *ch, const char **out)
{
	char buf[STORE_CHAIN_MAX * 4 + 1] = "";
	size_t i, len = 0;

	for (i = 0; i < ch->n && i < STORE_CHAIN_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d",
		    i ? "," : "", (int)ch->steps[i]);
	if ((*out = arena_strdup(a, buf)) == NULL)
		return ERR_ALLOC;
	return 0;
}

/* The actor
 * ------------------------------------------------------------------*/

int
cmd_candidate_actor_load(struct cmd_ctx *ctx, struct cmd_candidate_actor *ac)
{
	struct store *st = ctx->srv->store;
	struct store_delegation *dels = NULL;
	size_t i, n = 0;
	int r;

	memset(ac, 0, sizeof(*ac));
	ac->ctx = ctx;
	if ((r = store_delegation_active(
		 st, ctx->user->id, ctx->now, &dels, &n)) != 0 ||
	    n == 0)
		goto out;
	ac->approvers = arena_alloc(ctx->arena, n * sizeof(*ac->approvers));
	ac->scopes = calloc(n, sizeof(*ac->scopes));
	if (ac->approvers == NULL || ac->scopes == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct store_user *u = &ac->approvers[ac->napprovers];

		r = store_user_get(st, dels[i].approver_id, u);
		if (r == ERR_NOT_FOUND)
			continue;
		if (r != 0 || (r = cmd_scope_resolve(st, u->scope,
				   &ac->scopes[ac->napprovers])) != 0)
			goto out;
		ac->napprovers++;
	}
out:
	free(dels);
	return r;
}

void
cmd_candidate_actor_release(struct cmd_candidate_actor *ac)
{
	size_t i;

	if (ac == NULL)
		return;
	for (i = 0; ac->scopes != NULL && i < ac->napprovers; i++)
		scope_release(&ac->scopes[i]);
	free(ac->scopes);
	memset(ac, 0, sizeof(*ac));
}

int
cmd_candidate_sees(const struct cmd_candidate_actor *ac, int64_t segment_id)
{
	size_t i;

	if (scope_sees_segment(ac->ctx->scope, segment_id))
		return 1;
	for (i = 0; i < ac->napprovers; i++) {
		if (scope_sees_segment(&ac->scopes[i], segment_id))
			return 1;
	}
	return 0;
}

static int
cand_is_approver(Tier__Role r)
{
	return r == TIER__ROLE__ROLE_BU_VP || r == TIER__ROLE__ROLE_BG_VP;
}

/* The facts of c for the user, acting as itself (as NULL) or for as. */
static void
cand_facts_as(const struct cmd_candidate_actor *ac,
    const struct store_candidate *c, const struct store_cycle *cy,
    const struct store_user *as, const struct scope *as_scope,
    const struct store_candidate_approval *aps, size_t naps, struct wf_facts *f)
{
	const struct scope *sc = as != NULL ? as_scope : ac->ctx->scope;
	int64_t me = ac->ctx->user->id, del = as != NULL ? as->id : -1;
	Tier__Role steps[STORE_CHAIN_MAX];
	size_t i, nsteps;

	memset(f, 0, sizeof(*f));
	f->state = c->state;
	f->role = as != NULL ? as->role : ac->ctx->user->role;
	f->in_scope = cand_is_approver(f->role)
			  ? scope_covers_bu(sc, c->bu_id)
			  : scope_sees_segment(sc, c->segment_id);
	f->cycle_open = cy->state == TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	f->is_proposer = c->proposed_by == me || c->proposed_by == del;
	f->is_submitter = c->submitted_by != 0 &&
			  (c->submitted_by == me || c->submitted_by == del);
	for (i = 0; i < naps; i++) {
		if (aps[i].step >= c->step)
			continue;
		if (aps[i].user_id == me || aps[i].user_id == del ||
		    (aps[i].on_behalf_of != 0 &&
			(aps[i].on_behalf_of == me ||
			    aps[i].on_behalf_of == del)))
			f->decided_earlier_step = 1;
	}
	nsteps = cand_chain_parse(c->chain, steps, STORE_CHAIN_MAX);
	if (c->step < nsteps) {
		f->step_role = steps[c->step];
		f->last_step = c->step + 1 == nsteps;
	}
	f->score_complete = c->score_complete;
	f->needs_rescore = c->needs_rescore;
	f->below_min = c->score_complete && c->score < cy->min_score;
}

int
cmd_candidate_facts(struct cmd_candidate_actor *ac,
    const struct store_candidate *c, const struct store_cycle *cy,
    struct wf_facts *f, const struct store_user **on_behalf)
{
	const uint32_t approve = ACTION_BIT(APPROVE);
	struct store_candidate_approval *aps = NULL;
	struct wf_facts g, first;
	size_t i, naps = 0;
	int found = 0, r;

	memset(&first, 0, sizeof(first));
	*on_behalf = NULL;
	if (c->state == STATE_PENDING &&
	    (r = store_candidate_approvals(ac->ctx->srv->store, ac->ctx->arena,
		 c->id, c->round, &aps, &naps)) != 0)
		return r;
	cand_facts_as(ac, c, cy, NULL, NULL, aps, naps, f);
	if (c->state != STATE_PENDING ||
	    (f->role == f->step_role && f->in_scope))
		return 0;
	/* Not the step's approver: perhaps the deputy of one. */
	for (i = 0; i < ac->napprovers; i++) {
		if (ac->approvers[i].role != f->step_role ||
		    !scope_covers_bu(&ac->scopes[i], c->bu_id))
			continue;
		cand_facts_as(ac, c, cy, &ac->approvers[i], &ac->scopes[i], aps,
		    naps, &g);
		if (workflow_allowed(&g) & approve) {
			*f = g;
			*on_behalf = &ac->approvers[i];
			return 0;
		}
		if (!found) {
			first = g;
			*on_behalf = &ac->approvers[i];
			found = 1;
		}
	}
	if (found)
		*f = first;
	return 0;
}

/* Wire and audit forms ------------------------------------------------------*/

/* The chain of c's submission with the decisions of its round. */
static int
cand_wire_chain(struct cmd_ctx *ctx, const struct store_candidate *c,
    int decisions, Tier__Candidate *w)
{
	struct store_candidate_approval *aps = NULL;
	Tier__Role steps[STORE_CHAIN_MAX];
	Tier__ApprovalStep *s;
	size_t i, j, n, naps = 0;
	int r;

	n = cand_chain_parse(c->chain, steps, STORE_CHAIN_MAX);
	if (n == 0 || c->round == 0)
		return 0;
	if (decisions && (r = store_candidate_approvals(ctx->srv->store,
			      ctx->arena, c->id, c->round, &aps, &naps)) != 0)
		return r;
	if ((w->chain = arena_alloc(ctx->arena, n * sizeof(*w->chain))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if ((s = arena_alloc(ctx->arena, sizeof(*s))) == NULL)
			return ERR_ALLOC;
		tier__approval_step__init(s);
		s->role = steps[i];
		s->decided_by = (char *)"";
		s->on_behalf_of = (char *)"";
		for (j = 0; j < naps; j++) {
			if (aps[j].step != i)
				continue;
			s->decided_by = (char *)aps[j].user;
			s->on_behalf_of = (char *)aps[j].on_behalf;
			s->decided_at = aps[j].decided_at;
		}
		w->chain[i] = s;
	}
	w->n_chain = n;
	return 0;
}

/* The empty fields of a candidate's customer card; none when it is gone. */
struct cand_card {
	const char *missing[CUSTOMER_CARD_FIELDS];
	size_t n;
};

static int
cand_card_load(struct cmd_ctx *ctx, const struct store_candidate *c,
    struct cand_card *card)
{
	struct store_customer cu;
	int r;

	card->n = 0;
	r = store_customer_get(
	    ctx->srv->store, ctx->arena, c->customer_id, &cu);
	if (r == ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	card->n = cmd_customer_missing(&cu, card->missing);
	return 0;
}

/* Score lines and missing information. */
static int
cand_wire_sheet(struct cmd_ctx *ctx, const struct cand_sheet *sh,
    const struct cand_card *card, Tier__Candidate *w)
{
	Tier__ScoreLine *l;
	size_t i, nmissing = 0;
	char buf[128];

	w->lines = arena_alloc(ctx->arena, (sh->set.n + 1) * sizeof(*w->lines));
	w->missing = arena_alloc(
	    ctx->arena, (sh->set.n + card->n + 1) * sizeof(*w->missing));
	if (w->lines == NULL || w->missing == NULL)
		return ERR_ALLOC;
	for (i = 0; i < sh->set.n; i++) {
		const struct cand_line *ln = &sh->lines[i];

		if ((l = arena_alloc(ctx->arena, sizeof(*l))) == NULL)
			return ERR_ALLOC;
		tier__score_line__init(l);
		l->criterion = (char *)ln->crit->name;
		l->weight = ln->crit->weight;
		l->scale_min = ln->crit->scale_min;
		l->scale_max = ln->crit->scale_max;
		l->scored = ln->scored != 0;
		l->value = ln->value;
		l->points = cand_round(cand_points(ln));
		l->scored_by = (char *)(ln->scored ? ln->scorer : "");
		w->lines[i] = l;
		if (!ln->scored) {
			snprintf(buf, sizeof(buf), "score: %s", ln->crit->name);
			if ((w->missing[nmissing++] =
				    arena_strdup(ctx->arena, buf)) == NULL)
				return ERR_ALLOC;
		}
	}
	w->n_lines = sh->set.n;
	for (i = 0; i < card->n; i++) {
		snprintf(buf, sizeof(buf), "card: %s", card->missing[i]);
		if ((w->missing[nmissing++] = arena_strdup(ctx->arena, buf)) ==
		    NULL)
			return ERR_ALLOC;
	}
	w->n_missing = nmissing;
	return 0;
}

/* What the actor may do with c now. */
static int
cand_wire_allowed(struct cmd_candidate_actor *ac,
    const struct store_candidate *c, const struct store_cycle *cy,
    Tier__Candidate *w)
{
	const struct store_user *on_behalf;
	struct wf_facts f;
	uint32_t mask;
	unsigned a, n = 0;
	int r;

	if ((r = cmd_candidate_facts(ac, c, cy, &f, &on_behalf)) != 0)
		return r;
	mask = workflow_allowed(&f);
	w->allowed = arena_alloc(ac->ctx->arena, 32 * sizeof(*w->allowed));
	if (w->allowed == NULL)
		return ERR_ALLOC;
	for (a = TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE; a < 32; a++) {
		if (mask & (1u << a))
			w->allowed[n++] = (Tier__CandidateAction)a;
	}
	w->n_allowed = n;
	return 0;
}

/*
 * sh: c's score sheet when the caller has it, else NULL to load it. detail:
 * everything candidate_get answers; lines: of that only the score lines and
 * missing information (candidate_list with_lines).
 */
static Tier__Candidate *
cand_to_wire(struct cmd_candidate_actor *ac, const struct store_candidate *c,
    const struct store_cycle *cy, const struct cand_sheet *sh, int detail,
    int lines)
{
	struct cmd_ctx *ctx = ac->ctx;
	struct cand_sheet loaded;
	struct cand_card card;
	Tier__Candidate *w;
	int pending_or_decided;

	if ((w = arena_alloc(ctx->arena, sizeof(*w))) == NULL)
		return NULL;
	tier__candidate__init(w);
	w->id = (uint64_t)c->id;
	w->cycle_id = (uint64_t)c->cycle_id;
	w->year = c->year;
	w->bu = (char *)c->bu;
	w->segment = (char *)c->segment;
	w->customer_id = (uint64_t)c->customer_id;
	w->customer = (char *)c->customer;
	w->state = c->state;
	w->score = c->score;
	w->score_complete = c->score_complete != 0;
	w->needs_rescore = c->needs_rescore != 0;
	w->suggested_tier = c->suggested_tier;
	w->tier = c->tier;
	w->owner = (char *)c->owner;
	w->justification = (char *)c->justification;
	w->rank_segment = c->rank_segment;
	w->rank_bu = c->rank_bu;
	w->step = c->step;
	w->proposed_by = (char *)c->proposer;
	w->submitted_by = (char *)c->submitter;
	w->reason = (char *)c->reason;
	w->version = c->version;
	w->updated_by = (char *)c->updater;
	w->updated_at = c->updated_at;
	w->pending_since = c->pending_since;
	w->criteria_version = c->criteria_version;
	w->inquiry_id = (uint64_t)c->inquiry_id;
	if (cand_card_load(ctx, c, &card) != 0)
		return NULL;
	w->card_incomplete = card.n > 0;
	/* The chain belongs to a submission: shown while it is pending and
	 * once it is decided. */
	pending_or_decided =
	    c->state == STATE_PENDING ||
	    c->state == TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED ||
	    (c->state == TIER__CANDIDATE_STATE__CANDIDATE_STATE_REJECTED &&
		c->ever_submitted);
	if (pending_or_decided && cand_wire_chain(ctx, c, detail, w) != 0)
		return NULL;
	if (!detail && !lines)
		return w;
	if (sh == NULL) {
		if (cand_sheet_load(ctx, c, cy, &loaded) != 0)
			return NULL;
		sh = &loaded;
	}
	if (cand_wire_sheet(ctx, sh, &card, w) != 0 ||
	    (detail && cand_wire_allowed(ac, c, cy, w) != 0))
		return NULL;
	return w;
}

Tier__Candidate *
cmd_candidate_to_wire(struct cmd_candidate_actor *ac,
    const struct store_candidate *c, const struct store_cycle *cy, int detail)
{
	return cand_to_wire(ac, c, cy, NULL, detail, detail);
}

/* A criterion's score, for writing them in name order. */
struct cand_named_score {
	const char *name;
	int64_t value;
};

static int
cand_named_score_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cand_named_score *)a)->name,
	    ((const struct cand_named_score *)b)->name);
}

/*
 * The audit form of c, appended to out as a C string: the record's fields
 * with names for ids, its scores against the criteria version in force
 * (from sh when the caller has c's sheet, else read), and the approved steps
 * of its submission (who decided, and for whom when a deputy did). Written
 * on every transition, so straight to text (jsonw.c), keys in the sorted
 * order the rest of the audit log has.
 */
static int
cand_form(struct cmd_ctx *ctx, const struct store_candidate *c,
    uint32_t criteria_version, const struct cand_sheet *sh, struct buf *out)
{
	struct store_candidate_approval *aps = NULL;
	struct store_candidate_score *scores = NULL;
	struct cand_named_score *named;
	Tier__Role steps[STORE_CHAIN_MAX];
	struct jsonw w;
	size_t i, n = 0, nsteps, naps = 0, nnamed = 0;
	int r;

	if (sh == NULL &&
	    (r = store_candidate_scores(ctx->srv->store, ctx->arena, c->id,
		 criteria_version, &scores, &n)) != 0)
		return r;
	if (c->round > 0 &&
	    (r = store_candidate_approvals(ctx->srv->store, ctx->arena, c->id,
		 c->round, &aps, &naps)) != 0)
		return r;
	if (sh != NULL)
		n = sh->set.n;
	if ((r = buf_reserve(out, CAND_FORM_SIZE)) != 0)
		return r;
	if ((named = arena_alloc(ctx->arena, (n + 1) * sizeof(*named))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if (sh == NULL)
			named[nnamed++] =
			    (struct cand_named_score){ scores[i].criterion,
				    scores[i].value };
		else if (sh->lines[i].scored)
			named[nnamed++] =
			    (struct cand_named_score){ sh->lines[i].crit->name,
				    sh->lines[i].value };
	}
	qsort(named, nnamed, sizeof(*named), cand_named_score_cmp);
	nsteps = cand_chain_parse(c->chain, steps, STORE_CHAIN_MAX);

	jsonw_init(&w, out);
	jsonw_object(&w, NULL);
	jsonw_array(&w, "approvals");
	for (i = 0; i < naps; i++) {
		jsonw_object(&w, NULL);
		jsonw_str(&w, "by", aps[i].user);
		jsonw_str(&w, "on_behalf_of", aps[i].on_behalf);
		jsonw_int(&w, "step", aps[i].step);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_str(&w, "bu", c->bu);
	jsonw_array(&w, "chain");
	for (i = 0; i < nsteps; i++)
		jsonw_str(&w, NULL, msg_role_name(steps[i]));
	jsonw_end_array(&w);
	jsonw_int(&w, "created_at", c->created_at);
	jsonw_int(&w, "criteria_version", c->criteria_version);
	jsonw_str(&w, "customer", c->customer);
	jsonw_int(&w, "customer_id", c->customer_id);
	jsonw_int(&w, "cycle_id", c->cycle_id);
	jsonw_int(&w, "id", c->id);
	jsonw_str(&w, "justification", c->justification);
	jsonw_bool(&w, "needs_rescore", c->needs_rescore != 0);
	jsonw_str(&w, "owner", c->owner);
	jsonw_int(&w, "pending_since", c->pending_since);
	jsonw_str(&w, "proposed_by", c->proposer);
	jsonw_str(&w, "reason", c->reason);
	jsonw_int(&w, "round", c->round);
	jsonw_real(&w, "score", c->score);
	jsonw_bool(&w, "score_complete", c->score_complete != 0);
	jsonw_object(&w, "scores");
	for (i = 0; i < nnamed; i++)
		jsonw_int(&w, named[i].name, named[i].value);
	jsonw_end_object(&w);
	jsonw_str(&w, "segment", c->segment);
	jsonw_str(&w, "state", workflow_state_name(c->state));
	jsonw_int(&w, "step", c->step);
	jsonw_str(&w, "submitted_by", c->submitter);
	jsonw_str(
	    &w, "suggested_tier", cmd_candidate_tier_name(c->suggested_tier));
	jsonw_str(&w, "tier", cmd_candidate_tier_name(c->tier));
	jsonw_int(&w, "updated_at", c->updated_at);
	jsonw_str(&w, "updated_by", c->updater);
	jsonw_int(&w, "version", c->version);
	jsonw_end_object(&w);
	return jsonw_finish(&w);
}

/* Request checks ------------------------------------------------------------*/

/* 1 if s has something besides white space. */
static int
cand_has_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 1;
	}
	return 0;
}

/* s without prefix, if it starts with it. */
static const char *
cand_after_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : s;
}

/* Reports a refused transition: the workflow's sentence, naming c. */
static int
cand_refuse(struct cmd_ctx *ctx, Tier__Response *resp,
    const struct store_candidate *c, const struct wf_outcome *o)
{
	static const char pending[] = "candidate is pending (";
	Tier__Role steps[STORE_CHAIN_MAX];
	size_t n;

	if (o->code == NOT_FOUND)
		return cmd_error(ctx, resp, NOT_FOUND, o->field,
		    "tier candidate list --cycle ID shows the candidates you "
		    "can see",
		    "no candidate %lld", (long long)c->id);
	if (strncmp(o->message, pending, sizeof(pending) - 1) == 0) {
		n = cand_chain_parse(c->chain, steps, STORE_CHAIN_MAX);
		return cmd_error(ctx, resp, o->code, o->field,
		    "tier queue shows what waits for your decision",
		    "candidate %lld is pending (step %u of %zu, %s",
		    (long long)c->id, c->step + 1, n,
		    o->message + sizeof(pending) - 1);
	}
	return cmd_error(ctx, resp, o->code, o->field,
	    "tier candidate show ID lists what you may do", "candidate %lld%s",
	    (long long)c->id,
	    strncmp(o->message, "candidate", 9) == 0 ? o->message + 9
						     : o->message);
}

/* The criteria and their scales, for a hint: "reach 0-10, size 0-5". */
static const char *
cand_scales(struct cmd_ctx *ctx, const struct cand_sheet *sh)
{
	char buf[512] = "";
	size_t i, len = 0;

	for (i = 0; i < sh->set.n && len < sizeof(buf) - 1; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%s%s %u-%u", i ? ", " : "the criteria are ",
		    sh->set.criteria[i].name, sh->set.criteria[i].scale_min,
		    sh->set.criteria[i].scale_max);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	return arena_strdup(ctx->arena, buf);
}

/*
 * Applies the request's scores to the sheet. A score naming no criterion in
 * force, outside its scale, or repeated is remembered in *bad (the first
 * one) and left out; the caller reports it once the transition itself is
 * allowed.
 */
static void
cand_sheet_apply(struct cand_sheet *sh, const Tier__CandidateActRequest *a,
    const char *scorer, size_t *bad)
{
	size_t i, j;

	*bad = SIZE_MAX;
	for (i = 0; i < a->n_scores; i++) {
		const Tier__Score *s = a->scores[i];
		int dup = 0;

		for (j = 0; j < i; j++)
			dup |=
			    strcmp(a->scores[j]->criterion, s->criterion) == 0;
		for (j = 0; j < sh->set.n; j++) {
			if (strcmp(sh->set.criteria[j].name, s->criterion) == 0)
				break;
		}
		if (dup || j == sh->set.n ||
		    s->value < sh->set.criteria[j].scale_min ||
		    s->value > sh->set.criteria[j].scale_max) {
			if (*bad == SIZE_MAX)
				*bad = i;
			continue;
		}
		sh->lines[j].scored = 1;
		sh->lines[j].value = s->value;
		sh->lines[j].scorer = scorer;
	}
}

/* Explains the score *bad of cand_sheet_apply. */
static int
cand_bad_score(struct cmd_ctx *ctx, Tier__Response *resp,
    const struct cand_sheet *sh, const Tier__CandidateActRequest *a, size_t bad)
{
	const Tier__Score *s = a->scores[bad];
	size_t j;

	for (j = 0; j < bad; j++) {
		if (strcmp(a->scores[j]->criterion, s->criterion) == 0)
			return cmd_error(ctx, resp, BAD_REQUEST,
			    "candidate_act.scores", "give each criterion once",
			    "criterion \"%.64s\" is scored twice",
			    s->criterion);
	}
	for (j = 0; j < sh->set.n; j++) {
		const struct store_criterion *c = &sh->set.criteria[j];

		if (strcmp(c->name, s->criterion) == 0)
			return cmd_error(ctx, resp, BAD_REQUEST,
			    "candidate_act.scores",
			    "give a whole number within the scale",
			    "criterion \"%s\" is scored on a scale of %u-%u; "
			    "%u is outside it",
			    c->name, c->scale_min, c->scale_max, s->value);
	}
	return cmd_error(ctx, resp, BAD_REQUEST, "candidate_act.scores",
	    cand_scales(ctx, sh),
	    "no criterion \"%.64s\" in the criteria in force (version %u)",
	    s->criterion, sh->set.version);
}

/*
 * Checks the development owner of a submission: a business user whose scope
 * sees the candidate's segment. A user who does not exist and one who cannot
 * see the segment get the same answer, so the check reveals nothing about
 * people outside it. Sets *owner. Returns 0 or cmd_error's.
 */
static int
cand_owner(struct cmd_ctx *ctx, Tier__Response *resp,
    const struct store_candidate *c, const char *name, struct store_user *owner)
{
	static const char field[] = "candidate_act.owner";
	struct scope sc;
	int r, sees = 0;

	r = store_user_by_name(ctx->srv->store, name, owner);
	if (r != 0 && r != ERR_NOT_FOUND)
		return r;
	if (r == 0) {
		if ((r = cmd_scope_resolve(
			 ctx->srv->store, owner->scope, &sc)) != 0)
			return r;
		sees = scope_sees_segment(&sc, c->segment_id);
		scope_release(&sc);
	}
	if (!sees)
		return cmd_error(ctx, resp, BAD_REQUEST, field,
		    "the owner is the user name of someone whose scope "
		    "includes the segment",
		    "no user \"%.64s\" who can see segment %s", name,
		    c->segment);
	if (owner->role == TIER__ROLE__ROLE_ADMIN ||
	    owner->role == TIER__ROLE__ROLE_AUDITOR)
		return cmd_error(ctx, resp, BAD_REQUEST, field,
		    "choose an account or segment manager of the segment",
		    "owner %s is an %s, who makes no business decisions",
		    owner->name, msg_role_name(owner->role));
	return 0;
}

/* Handlers ------------------------------------------------------------------*/

/* Loads candidate id as the actor may see it, or answers NOT_FOUND. */
static int
cand_load(struct cmd_candidate_actor *ac, Tier__Response *resp, uint64_t id,
    const char *field, struct store_candidate *c, struct store_cycle *cy)
{
	struct cmd_ctx *ctx = ac->ctx;
	int r;

	r = id > INT64_MAX ? ERR_NOT_FOUND
			   : store_candidate_get(
				 ctx->srv->store, ctx->arena, (int64_t)id, c);
	if (r == 0 && !cmd_candidate_sees(ac, c->segment_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp, NOT_FOUND, field,
		    "tier candidate list --cycle ID shows the candidates you "
		    "can see",
		    "no candidate %llu", (unsigned long long)id);
	if (r != 0)
		return r;
	return store_cycle_get(ctx->srv->store, c->cycle_id, cy);
}

/*
 * Writes the audit entry of a change that left the candidate as c (as
 * stored, but for its ranks) and fills the response. sh is c's score sheet,
 * or NULL to read it.
 */
static int
cand_finish(struct cmd_candidate_actor *ac, const char *action,
    struct store_candidate *c, const struct store_cycle *cy,
    const struct cand_sheet *sh, const char *before, const char *reason,
    Tier__CandidateResponse **out)
{
	struct cmd_ctx *ctx = ac->ctx;
	struct buf after = BUF_INIT;
	int r;

	if ((r = store_candidate_ranks(ctx->srv->store, c)) != 0)
		return r;
	if ((r = cand_form(ctx, c, cy->criteria_version, sh, &after)) == 0)
		r = audit_record(ctx, action, "candidate", c->id, before,
		    (const char *)after.data, reason);
	buf_free(&after);
	if (r != 0)
		return r;
	if ((*out = arena_alloc(ctx->arena, sizeof(**out))) == NULL)
		return ERR_ALLOC;
	tier__candidate_response__init(*out);
	if (((*out)->candidate = cand_to_wire(ac, c, cy, sh, 1, 1)) == NULL)
		return ERR_ALLOC;
	return 0;
}

/*
 * Answers a proposal of a customer that is already a candidate of the cycle.
 * The existing candidate is named only when the actor may see it: its
 * segment may be outside the actor's scope.
 */
static int
cand_propose_taken(struct cmd_candidate_actor *ac, Tier__Response *resp,
    const char *field, const struct store_cycle *cy,
    const struct store_customer *cu)
{
	struct cmd_ctx *ctx = ac->ctx;
	struct store_candidate other;
	int64_t id;
	int r;

	if ((r = store_candidate_find(ctx->srv->store, cy->id, cu->id, &id)) !=
		0 ||
	    (r = store_candidate_get(
		 ctx->srv->store, ctx->arena, id, &other)) != 0)
		return r == ERR_NOT_FOUND ? ERR_INTERNAL : r;
	if (cmd_candidate_sees(ac, other.segment_id))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS, field,
		    "one candidate per customer and cycle; tier candidate show "
		    "ID shows it",
		    "customer %lld (%s) is already candidate %lld of cycle "
		    "%lld (%u)",
		    (long long)cu->id, cu->name, (long long)other.id,
		    (long long)cy->id, cy->year);
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS,
	    field,
	    "one candidate per customer and cycle; ask the BU's VP about it",
	    "customer %lld (%s) is already a candidate of cycle %lld (%u), in "
	    "a segment outside your scope",
	    (long long)cu->id, cu->name, (long long)cy->id, cy->year);
}

int
cmd_candidate_propose_in(struct cmd_candidate_actor *ac, Tier__Response *resp,
    const char *body, const struct store_cycle *cy,
    const struct store_unit *seg, const struct store_customer *cu,
    Tier__CandidateResponse **out)
{
	struct cmd_ctx *ctx = ac->ctx;
	struct store *st = ctx->srv->store;
	struct store_candidate c;
	struct wf_facts f;
	struct wf_outcome o;
	char field[64];
	int64_t other;
	int r;

	memset(&f, 0, sizeof(f));
	f.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_UNSPECIFIED;
	f.role = ctx->user->role;
	f.in_scope = scope_sees_segment(ctx->scope, seg->id);
	f.cycle_open = cy->state == TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	if (workflow_check(
		&f, TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_PROPOSE, &o) != 0)
		return cmd_error(ctx, resp, o.code, o.field,
		    cy->state == TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING
			? "the BU VP opens the cycle with tier cycle open"
			: NULL,
		    "cannot propose in cycle %lld (%u): %s", (long long)cy->id,
		    cy->year,
		    cand_after_prefix(
			o.message, "candidate does not exist yet; "));

	memset(&c, 0, sizeof(c));
	c.cycle_id = cy->id;
	c.segment_id = seg->id;
	c.customer_id = cu->id;
	c.state = o.next;
	c.criteria_version = cy->criteria_version;
	c.proposed_by = ctx->user->id;
	c.created_at = ctx->now;
	r = store_candidate_find(st, cy->id, cu->id, &other);
	if (r == 0)
		r = ERR_EXISTS;
	else if (r == ERR_NOT_FOUND)
		r = store_candidate_insert(st, &c);
	if (r == ERR_EXISTS) {
		snprintf(field, sizeof(field), "%s.customer_id", body);
		return cand_propose_taken(ac, resp, field, cy, cu);
	}
	if (r != 0)
		return r;
	if ((r = store_candidate_get(st, ctx->arena, c.id, &c)) != 0 ||
	    (r = cand_finish(
		 ac, "candidate.propose", &c, cy, NULL, NULL, "", out)) != 0)
		return r;
	cmd_log(ctx, "candidate %lld proposed by %s (cycle %lld, %s)",
	    (long long)c.id, ctx->user->name, (long long)cy->id, seg->name);
	return 0;
}

static int
cmd_candidate_propose(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CandidateProposeRequest *a = req->candidate_propose;
	struct store *st = ctx->srv->store;
	struct cmd_candidate_actor ac;
	struct store_cycle cy;
	struct store_unit seg, bu;
	struct store_customer cu;
	int r;

	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0)
		goto out;
	if ((r = cmd_cycle_load(ctx, resp, a->cycle_id,
		 "candidate_propose.cycle_id", &cy)) != 0 ||
	    (r = cmd_cycle_writable(ctx, resp, &cy)) != 0)
		goto out;

	r = store_unit_by_name(
	    st, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, a->segment, &seg);
	if (r == 0 && !scope_sees_segment(ctx->scope, seg.id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND) {
		r = cmd_error(ctx, resp, NOT_FOUND, "candidate_propose.segment",
		    "tier org list shows the segments you can see",
		    "no segment \"%.64s\"", a->segment);
		goto out;
	}
	if (r != 0)
		goto out;
	if (seg.parent_id != cy.bu_id) {
		r = cmd_error(ctx, resp, BAD_REQUEST,
		    "candidate_propose.segment",
		    "propose it in a segment of the cycle's BU",
		    "segment %s is not in the BU of cycle %lld (%u)", seg.name,
		    (long long)cy.id, cy.year);
		goto out;
	}

	r = a->customer_id > INT64_MAX ? ERR_NOT_FOUND
				       : store_customer_get(st, ctx->arena,
					     (int64_t)a->customer_id, &cu);
	if (r == 0 && !scope_sees_bu(ctx->scope, cu.bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND) {
		r = cmd_error(ctx, resp, NOT_FOUND,
		    "candidate_propose.customer_id",
		    "tier customer list shows the customers you can see",
		    "no customer %llu", (unsigned long long)a->customer_id);
		goto out;
	}
	if (r != 0)
		goto out;
	if (cu.bu_id != cy.bu_id) {
		if ((r = store_unit_get(st, cu.bu_id, &bu)) != 0)
			goto out;
		r = cmd_error(ctx, resp, BAD_REQUEST,
		    "candidate_propose.customer_id",
		    "add the customer to the cycle's BU with tier customer add",
		    "customer %lld (%s) belongs to BU %s, not to the BU of "
		    "cycle %lld (%u)",
		    (long long)cu.id, cu.name, bu.name, (long long)cy.id,
		    cy.year);
		goto out;
	}

	r = cmd_candidate_propose_in(&ac, resp, "candidate_propose", &cy, &seg,
	    &cu, &resp->candidate_propose);
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

/* Checks what a candidate_act request carries besides its transition. */
static int
cand_act_input(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__CandidateActRequest *a)
{
	if (!msg_lines_valid(a->reason, CAND_REASON_MAX))
		return cmd_error(ctx, resp, BAD_REQUEST, "candidate_act.reason",
		    "use at most 1000 bytes of UTF-8 text; tabs and line "
		    "breaks are the only control characters allowed",
		    "the reason is not acceptable");
	if (!msg_lines_valid(a->justification, CAND_JUSTIFICATION_MAX))
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "candidate_act.justification",
		    "use at most 2000 bytes of UTF-8 text; tabs and line "
		    "breaks are the only control characters allowed",
		    "the justification is not acceptable");
	if ((unsigned)a->tier > TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC)
		return cmd_error(ctx, resp, BAD_REQUEST, "candidate_act.tier",
		    "give strategic, key or general", "unknown tier %d",
		    (int)a->tier);
	return 0;
}

/*
 * Applies an allowed transition to c, the candidate as read, into n:
 * state, chain, owner and the bookkeeping of each action with the names it
 * shows, the scores and the approval row, so that n is then the candidate as
 * stored. Returns 0 or a store error.
 */
static int
cand_apply(struct cmd_ctx *ctx, const Tier__CandidateActRequest *a,
    const struct store_cycle *cy, const struct cand_sheet *sh,
    const struct wf_outcome *o, const struct store_user *owner,
    const struct store_user *on_behalf, const struct store_candidate *c,
    struct store_candidate *n)
{
	struct store *st = ctx->srv->store;
	size_t i;
	int r;

	*n = *c;
	n->state = o->next;
	n->version++;
	n->updated_by = ctx->user->id;
	n->updater = ctx->user->name;
	n->updated_at = ctx->now;
	switch (a->action) {
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE:
		for (i = 0; i < a->n_scores; i++) {
			if ((r = store_candidate_score_put(st, n->id,
				 cy->criteria_version, a->scores[i]->criterion,
				 a->scores[i]->value, ctx->user->id,
				 ctx->now)) != 0)
				return r;
		}
		n->score = sh->score;
		n->score_complete = sh->complete;
		n->suggested_tier = sh->suggested;
		n->criteria_version = cy->criteria_version;
		if (sh->complete) {
			n->needs_rescore = 0;
			n->ever_scored = 1;
		}
		break;
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SUBMIT:
		if ((r = cand_chain_format(
			 ctx->arena, &cy->chains[a->tier], &n->chain)) != 0)
			return r;
		n->tier = a->tier;
		n->owner_id = owner->id;
		/* The answer is sent after the commit: not from the stack. */
		if ((n->owner = arena_strdup(ctx->arena, owner->name)) == NULL)
			return ERR_ALLOC;
		n->justification = a->justification;
		n->submitted_by = ctx->user->id;
		n->submitter = ctx->user->name;
		n->round++;
		n->step = 0;
		n->pending_since = ctx->now;
		n->ever_submitted = 1;
		n->score = sh->score;
		n->suggested_tier = sh->suggested;
		break;
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_APPROVE:
		if ((r = store_candidate_approval_insert(st, n->id, n->round,
			 n->step, ctx->user->id,
			 on_behalf != NULL ? on_behalf->id : 0, ctx->now)) != 0)
			return r;
		if (o->advance_step) {
			n->step++;
			n->pending_since = ctx->now;
		} else
			n->pending_since = 0;
		break;
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_RETURN:
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_REOPEN:
		n->step = 0;
		/* FALLTHROUGH */
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_REJECT:
	case TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_WITHDRAW:
		n->reason = a->reason;
		n->pending_since = 0;
		break;
	default:
		return ERR_INTERNAL;
	}
	return store_candidate_update(st, c, n);
}

static int
cmd_candidate_act(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CandidateActRequest *a = req->candidate_act;
	const struct store_user *on_behalf = NULL;
	struct cmd_candidate_actor ac;
	struct store_candidate c, n;
	struct store_cycle cy;
	struct store_user owner;
	struct cand_sheet sh, before_sh;
	struct wf_facts f;
	struct wf_outcome o;
	struct buf before = BUF_INIT;
	char action[32];
	size_t bad = SIZE_MAX;
	int r;

	if (a->action <= TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_PROPOSE ||
	    a->action > TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_REOPEN)
		return cmd_error(ctx, resp, BAD_REQUEST, "candidate_act.action",
		    a->action ==
			    TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_PROPOSE
			? "a candidate is proposed with candidate_propose"
			: "give score, submit, approve, reject, return, "
			  "withdraw or reopen",
		    "candidate_act needs an action");
	if ((r = cand_act_input(ctx, resp, a)) != 0)
		return r;
	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0 ||
	    (r = cand_load(&ac, resp, a->candidate_id,
		 "candidate_act.candidate_id", &c, &cy)) != 0 ||
	    (r = cmd_cycle_writable(ctx, resp, &cy)) != 0)
		goto out;
	if (a->version == 0) {
		r = cmd_error(ctx, resp, BAD_REQUEST, "candidate_act.version",
		    "send the version you last saw (tier candidate show ID)",
		    "candidate_act needs the candidate's version");
		goto out;
	}
	if (a->version != c.version) {
		r = cmd_conflict(ctx, resp, "candidate", c.id, c.version,
		    a->version, c.updated_by, c.updated_at);
		goto out;
	}

	/* The facts, with the score as this request would leave it. */
	if ((r = cand_sheet_load(ctx, &c, &cy, &sh)) != 0)
		goto out;
	before_sh = sh;
	if (a->action == TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE) {
		before_sh.lines =
		    arena_alloc(ctx->arena, (sh.set.n + 1) * sizeof(*sh.lines));
		if (before_sh.lines == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		memcpy(before_sh.lines, sh.lines, sh.set.n * sizeof(*sh.lines));
		cand_sheet_apply(&sh, a, ctx->user->name, &bad);
		cand_sheet_compute(&sh, &cy);
	}
	if ((r = cmd_candidate_facts(&ac, &c, &cy, &f, &on_behalf)) != 0)
		goto out;
	f.score_complete = sh.complete;
	f.below_min = sh.complete && sh.score < cy.min_score;
	f.has_scores = a->n_scores > 0;
	f.has_reason = cand_has_text(a->reason);
	f.has_tier = a->tier != TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED;
	f.has_owner = a->owner[0] != '\0';
	f.tier_differs = a->tier != sh.suggested;
	f.has_justification = cand_has_text(a->justification);
	if (workflow_check(&f, a->action, &o) != 0) {
		r = cand_refuse(ctx, resp, &c, &o);
		goto out;
	}
	if (bad != SIZE_MAX) {
		r = cand_bad_score(ctx, resp, &sh, a, bad);
		goto out;
	}
	if (a->action == TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SUBMIT &&
	    ((r = cand_owner(ctx, resp, &c, a->owner, &owner)) != 0 ||
		cy.chains[a->tier].n == 0)) {
		if (r == 0)
			r = cmd_error(ctx, resp, BAD_REQUEST,
			    "candidate_act.tier",
			    "the BU VP sets the chains with tier cycle set",
			    "cycle %lld has no approval chain for tier %s",
			    (long long)cy.id, cmd_candidate_tier_name(a->tier));
		goto out;
	}

	if ((r = cand_form(
		 ctx, &c, cy.criteria_version, &before_sh, &before)) != 0)
		goto out;
	if ((r = cand_apply(ctx, a, &cy, &sh, &o, &owner, on_behalf, &c, &n)) !=
	    0)
		goto out;
	snprintf(action, sizeof(action), "candidate.%s",
	    workflow_action_name(a->action));
	r = cand_finish(&ac, action, &n, &cy, &sh, (const char *)before.data,
	    a->reason, &resp->candidate_act);
	/* The final approval makes the tier the customer's grade and the
	 * development owner its owner, in the same transaction. */
	if (r == 0 &&
	    n.state == TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED &&
	    c.state != TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED)
		r = cmd_grade_from_candidate(
		    ctx, c.customer_id, n.tier, n.owner_id, c.id);
	if (r == 0)
		cmd_log(ctx, "candidate %lld: %s by %s%s%s (%s -> %s)",
		    (long long)c.id, workflow_action_name(a->action),
		    ctx->user->name, on_behalf ? " for " : "",
		    on_behalf ? on_behalf->name : "",
		    workflow_state_name(c.state), workflow_state_name(n.state));
out:
	buf_free(&before);
	cmd_candidate_actor_release(&ac);
	return r;
}

static int
cmd_candidate_get(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	struct cmd_candidate_actor ac;
	struct store_candidate c;
	struct store_cycle cy;
	Tier__CandidateResponse *out;
	int r;

	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0 ||
	    (r = cand_load(&ac, resp, req->candidate_get->candidate_id,
		 "candidate_get.candidate_id", &c, &cy)) != 0)
		goto out;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	tier__candidate_response__init(out);
	if ((out->candidate = cmd_candidate_to_wire(&ac, &c, &cy, 1)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	resp->candidate_get = out;
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

static int
cmd_candidate_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CandidateListRequest *a = req->candidate_list;
	struct store_candidate_filter flt;
	struct store_candidate *rows = NULL;
	struct cmd_candidate_actor ac;
	struct store_cycle cy;
	struct store_unit seg;
	Tier__CandidateListResponse *out;
	size_t i, n = 0;
	uint32_t total = 0;
	int r;

	memset(&flt, 0, sizeof(flt));
	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0)
		goto out;
	if (a->cycle_id == 0) {
		r = cmd_error(ctx, resp, BAD_REQUEST, "candidate_list.cycle_id",
		    "tier cycle list shows the cycles",
		    "candidate_list needs a cycle");
		goto out;
	}
	if ((r = cmd_cycle_load(
		 ctx, resp, a->cycle_id, "candidate_list.cycle_id", &cy)) != 0)
		goto out;
	if (a->segment[0] != '\0') {
		r = store_unit_by_name(ctx->srv->store,
		    TIER__UNIT_KIND__UNIT_KIND_SEGMENT, a->segment, &seg);
		if (r == 0 && (seg.parent_id != cy.bu_id ||
				  !scope_sees_segment(ctx->scope, seg.id)))
			r = ERR_NOT_FOUND;
		if (r == ERR_NOT_FOUND) {
			r = cmd_error(ctx, resp, NOT_FOUND,
			    "candidate_list.segment",
			    "tier org list shows the segments you can see",
			    "no segment \"%.64s\" in the BU of cycle %lld",
			    a->segment, (long long)cy.id);
			goto out;
		}
		if (r != 0)
			goto out;
		flt.segment_id = seg.id;
	}
	if ((unsigned)a->state >
	    TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN) {
		r = cmd_error(ctx, resp, BAD_REQUEST, "candidate_list.state",
		    "give proposed, scored, pending, approved, rejected or "
		    "withdrawn",
		    "unknown candidate state %d", (int)a->state);
		goto out;
	}
	flt.cycle_id = cy.id;
	flt.state = a->state;
	flt.all_segments = ctx->scope->all;
	flt.segments = ctx->scope->segments;
	flt.nsegments = ctx->scope->nsegments;
	flt.offset = a->page_offset;
	flt.limit = a->page_size == 0              ? CAND_PAGE_DEFAULT
		    : a->page_size > CAND_PAGE_MAX ? CAND_PAGE_MAX
						   : a->page_size;
	if ((r = store_candidate_list(
		 ctx->srv->store, ctx->arena, &flt, &rows, &n, &total)) != 0)
		goto out;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	tier__candidate_list_response__init(out);
	out->candidates =
	    arena_alloc(ctx->arena, (n + 1) * sizeof(*out->candidates));
	if (out->candidates == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((out->candidates[i] = cand_to_wire(
			 &ac, &rows[i], &cy, NULL, 0, a->with_lines)) == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
	}
	out->n_candidates = n;
	out->total = total;
	resp->candidate_list = out;
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

#define CAND_ACTORS                                                            \
	(CMD_ROLE(TIER__ROLE__ROLE_BG_VP) | CMD_ROLE(TIER__ROLE__ROLE_BU_VP) | \
	    CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_RESEARCHER) |                            \
	    CMD_ROLE(TIER__ROLE__ROLE_MARKETING_HEAD))

const struct cmd_entry cmd_candidate_propose_entry = {
	.name = "candidate_propose",
	.request = TIER__REQUEST__BODY_CANDIDATE_PROPOSE,
	.response = TIER__RESPONSE__BODY_CANDIDATE_PROPOSE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |
		 CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR),
	.handler = cmd_candidate_propose,
};

/* Any business role: a deputy may be of any role, and workflow.c decides
 * who may do what. Admins and auditors make no business decisions. */
const struct cmd_entry cmd_candidate_act_entry = {
	.name = "candidate_act",
	.request = TIER__REQUEST__BODY_CANDIDATE_ACT,
	.response = TIER__RESPONSE__BODY_CANDIDATE_ACT,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CAND_ACTORS,
	.handler = cmd_candidate_act,
};

const struct cmd_entry cmd_candidate_get_entry = {
	.name = "candidate_get",
	.request = TIER__REQUEST__BODY_CANDIDATE_GET,
	.response = TIER__RESPONSE__BODY_CANDIDATE_GET,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_candidate_get,
};

const struct cmd_entry cmd_candidate_list_entry = {
	.name = "candidate_list",
	.request = TIER__REQUEST__BODY_CANDIDATE_LIST,
	.response = TIER__RESPONSE__BODY_CANDIDATE_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_candidate_list,
};
