/*
 * The candidate state machine: one table of (from states, action) -> (who
 * may, what is required, next state), and the checks that read it in a fixed
 * order. Handlers gather the facts and apply the outcome; which transitions
 * exist, and which error a refused one gets, is decided here only.
 */
#include "tierd.h"

#include <stdio.h>
#include <string.h>

/* A bit per enum value; values outside 0..31 have none and so match nothing. */
#define WF_BIT(x)  ((unsigned)(x) < 32 ? 1u << (unsigned)(x) : 0u)
#define STATE(x)   WF_BIT(TIER__CANDIDATE_STATE__CANDIDATE_STATE_##x)
#define ROLE(x)    WF_BIT(TIER__ROLE__ROLE_##x)
#define ACTION(x)  TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_##x
#define TO(x)      TIER__CANDIDATE_STATE__CANDIDATE_STATE_##x
#define BAD_REQ    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST
#define DENIED     TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED
#define ACTION_MAX ACTION(REOPEN)

/*
 * What a row needs besides its states and roles (scope and an open cycle are
 * needed by every row), and how it picks the next state.
 */
enum {
	WF_STEP = 1 << 0,          /* actor has the pending step's role */
	WF_NOT_PROPOSER = 1 << 1,  /* four eyes */
	WF_NOT_SUBMITTER = 1 << 2, /* four eyes */
	WF_ONE_STEP = 1 << 3,      /* four eyes: one step per submission */
	WF_COMPLETE = 1 << 4,      /* every criterion in force scored */
	WF_FRESH = 1 << 5,         /* not marked for rescoring */
	WF_MIN = 1 << 6,           /* score not below the policy minimum */
	WF_SCORES = 1 << 7,        /* the request carries scores */
	WF_REASON = 1 << 8,        /* ... a reason */
	WF_TIER = 1 << 9,          /* ... a tier */
	WF_OWNER = 1 << 10,        /* ... an owner */
	WF_JUSTIFY = 1 << 11,      /* ... a justification if tier differs */
	WF_IF_COMPLETE = 1 << 12,  /* to if complete after it, else proposed */
	WF_CHAIN = 1 << 13,        /* to at the last step, else next step */
};
#define WF_FOUR_EYES (WF_NOT_PROPOSER | WF_NOT_SUBMITTER | WF_ONE_STEP)
/* What the request carries: workflow_allowed does not look at these. */
#define WF_CONTENT (WF_SCORES | WF_REASON | WF_TIER | WF_OWNER | WF_JUSTIFY)

struct wf_rule {
	uint32_t from;                /* STATE() bits it applies in */
	Tier__CandidateAction action; /* at most one row per state and action */
	uint32_t roles;               /* ROLE() bits that may */
	unsigned needs;               /* WF_* */
	Tier__CandidateState to;      /* the next state */
};

/*
 * The state machine. Kept out of clang-format: one transition per line is
 * what makes it readable (and diffable) as a table.
 */
/* clang-format off */
static const struct wf_rule wf_table[] = {
	{ STATE(UNSPECIFIED), ACTION(PROPOSE),
	  ROLE(SEGMENT_MGR) | ROLE(ACCOUNT_MGR) | ROLE(MARKETING_HEAD), 0,
	  TO(PROPOSED) },
	{ STATE(PROPOSED) | STATE(SCORED), ACTION(SCORE),
	  ROLE(SEGMENT_MGR) | ROLE(BU_VP), WF_SCORES | WF_IF_COMPLETE, TO(SCORED) },
	{ STATE(SCORED), ACTION(SUBMIT), ROLE(SEGMENT_MGR),
	  WF_COMPLETE | WF_FRESH | WF_MIN | WF_TIER | WF_OWNER | WF_JUSTIFY,
	  TO(PENDING) },
	{ STATE(PENDING), ACTION(APPROVE), ROLE(BU_VP) | ROLE(BG_VP),
	  WF_STEP | WF_FOUR_EYES | WF_CHAIN, TO(APPROVED) },
	{ STATE(PENDING), ACTION(REJECT), ROLE(BU_VP) | ROLE(BG_VP),
	  WF_STEP | WF_REASON, TO(REJECTED) },
	{ STATE(PENDING), ACTION(RETURN), ROLE(BU_VP) | ROLE(BG_VP),
	  WF_STEP | WF_REASON, TO(PROPOSED) },
	{ STATE(PROPOSED) | STATE(SCORED), ACTION(REJECT),
	  ROLE(SEGMENT_MGR) | ROLE(BU_VP), WF_REASON, TO(REJECTED) },
	{ STATE(PROPOSED) | STATE(SCORED), ACTION(WITHDRAW),
	  ROLE(SEGMENT_MGR) | ROLE(ACCOUNT_MGR) | ROLE(BU_VP), 0, TO(WITHDRAWN) },
	{ STATE(APPROVED) | STATE(REJECTED) | STATE(WITHDRAWN), ACTION(REOPEN),
	  ROLE(BU_VP), WF_REASON, TO(PROPOSED) },
};
/* clang-format on */

/* The needs in the order they are checked, with the error each one gives. */
static const struct wf_need {
	unsigned flag;        /* WF_* */
	Tier__ErrorCode code; /* when not met */
	const char *field;    /* the request field at fault */
	const char *why;      /* the middle of the message */
} wf_needs[] = {
	{ WF_STEP, DENIED, "", "this step is for another role" },
	{ WF_NOT_PROPOSER, DENIED, "",
	    "you proposed it, and four eyes means someone else approves" },
	{ WF_NOT_SUBMITTER, DENIED, "",
	    "you submitted it, and four eyes means someone else approves" },
	{ WF_ONE_STEP, DENIED, "",
	    "you approved an earlier step; four eyes means another approver "
	    "takes this one" },
	{ WF_COMPLETE, BAD_REQ, "candidate_act.scores",
	    "score every criterion before submitting" },
	{ WF_FRESH, BAD_REQ, "candidate_act.scores",
	    "the criteria changed since it was scored; rescore it first" },
	{ WF_MIN, BAD_REQ, "",
	    "its score is below the cycle's minimum; reject it with a reason "
	    "instead" },
	{ WF_SCORES, BAD_REQ, "candidate_act.scores",
	    "give at least one score (CRITERION=VALUE)" },
	{ WF_REASON, BAD_REQ, "candidate_act.reason", "a reason is required" },
	{ WF_TIER, BAD_REQ, "candidate_act.tier",
	    "give a tier (strategic, key or general)" },
	{ WF_OWNER, BAD_REQ, "candidate_act.owner",
	    "give a development owner (a user name)" },
	{ WF_JUSTIFY, BAD_REQ, "candidate_act.justification",
	    "the tier differs from the suggested one; give a justification" },
};

static const struct {
	const char *name; /* as users type it */
	const char *done; /* "it cannot be ..." */
} wf_actions[] = {
	[ACTION(UNSPECIFIED)] = { "unspecified", "" },
	[ACTION(PROPOSE)] = { "propose", "proposed" },
	[ACTION(SCORE)] = { "score", "scored" },
	[ACTION(SUBMIT)] = { "submit", "submitted" },
	[ACTION(APPROVE)] = { "approve", "approved" },
	[ACTION(REJECT)] = { "reject", "rejected" },
	[ACTION(RETURN)] = { "return", "returned" },
	[ACTION(WITHDRAW)] = { "withdraw", "withdrawn" },
	[ACTION(REOPEN)] = { "reopen", "reopened" },
};

static const char *const wf_states[] = {
	[TO(UNSPECIFIED)] = "unspecified",
	[TO(PROPOSED)] = "proposed",
	[TO(SCORED)] = "scored",
	[TO(PENDING)] = "pending",
	[TO(APPROVED)] = "approved",
	[TO(REJECTED)] = "rejected",
	[TO(WITHDRAWN)] = "withdrawn",
};

/* Why an action is refused, in the order the checks run. */
enum wf_verdict {
	WF_ALLOWED,
	WF_OUT_OF_SCOPE, /* NOT_FOUND, as if it did not exist */
	WF_CYCLE_SHUT,   /* the cycle is not open */
	WF_NO_ACTION,    /* action unknown */
	WF_WRONG_STATE,  /* no row for this state and action */
	WF_WRONG_ROLE,   /* the row's roles exclude the actor's */
	WF_UNMET,        /* a need of the row is not met */
};

const char *
workflow_action_name(Tier__CandidateAction a)
{
	return (unsigned)a <= ACTION_MAX ? wf_actions[a].name : "unknown";
}

const char *
workflow_state_name(Tier__CandidateState s)
{
	return (unsigned)s < sizeof(wf_states) / sizeof(wf_states[0])
		   ? wf_states[s]
		   : "unknown";
}

static const struct wf_rule *
wf_rule(Tier__CandidateState s, Tier__CandidateAction a)
{
	size_t i;

	for (i = 0; i < sizeof(wf_table) / sizeof(wf_table[0]); i++) {
		if (wf_table[i].action == a && (wf_table[i].from & WF_BIT(s)))
			return &wf_table[i];
	}
	return NULL;
}

/* 1 if the facts fail the need flag. */
static int
wf_unmet(const struct wf_facts *f, unsigned flag)
{
	switch (flag) {
	case WF_STEP:
		return f->role != f->step_role;
	case WF_NOT_PROPOSER:
		return f->is_proposer;
	case WF_NOT_SUBMITTER:
		return f->is_submitter;
	case WF_ONE_STEP:
		return f->decided_earlier_step;
	case WF_COMPLETE:
		return !f->score_complete;
	case WF_FRESH:
		return f->needs_rescore;
	case WF_MIN:
		return f->below_min;
	case WF_SCORES:
		return !f->has_scores;
	case WF_REASON:
		return !f->has_reason;
	case WF_TIER:
		return !f->has_tier;
	case WF_OWNER:
		return !f->has_owner;
	case WF_JUSTIFY:
		return f->tier_differs && !f->has_justification;
	}
	return 0;
}

/*
 * Runs the checks in order: scope, cycle, state, role, then the row's needs
 * (what the request carries only when content is set). Sets *rule when a row
 * exists and *need when one is unmet.
 */
static enum wf_verdict
wf_judge(const struct wf_facts *f, Tier__CandidateAction a, int content,
    const struct wf_rule **rule, const struct wf_need **need)
{
	const struct wf_rule *r;
	size_t i;

	if (!f->in_scope)
		return WF_OUT_OF_SCOPE;
	if (!f->cycle_open)
		return WF_CYCLE_SHUT;
	if (a == ACTION(UNSPECIFIED) || (unsigned)a > ACTION_MAX)
		return WF_NO_ACTION;
	if ((*rule = r = wf_rule(f->state, a)) == NULL)
		return WF_WRONG_STATE;
	if (!(r->roles & WF_BIT(f->role)))
		return WF_WRONG_ROLE;
	for (i = 0; i < sizeof(wf_needs) / sizeof(wf_needs[0]); i++) {
		unsigned flag = wf_needs[i].flag;

		if ((r->needs & flag) && (content || !(flag & WF_CONTENT)) &&
		    wf_unmet(f, flag)) {
			*need = &wf_needs[i];
			return WF_UNMET;
		}
	}
	return WF_ALLOWED;
}

uint32_t
workflow_allowed(const struct wf_facts *f)
{
	const struct wf_rule *rule;
	const struct wf_need *need;
	uint32_t allowed = 0;
	unsigned a;

	for (a = ACTION(PROPOSE); a <= ACTION_MAX; a++) {
		if (wf_judge(f, a, 0, &rule, &need) == WF_ALLOWED)
			allowed |= 1u << a;
	}
	return allowed;
}

/* Appends ", name" (or "name" first) to buf. */
static void
wf_append(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

/* Fills out as a refusal: "candidate is STATE; WHY; you may: ACTIONS". */
static void
wf_refuse(const struct wf_facts *f, struct wf_outcome *out,
    Tier__ErrorCode code, const char *field, const char *why)
{
	uint32_t allowed = workflow_allowed(f);
	char state[96], may[128] = "";
	unsigned a;

	if (f->state == TO(UNSPECIFIED))
		snprintf(state, sizeof(state), "candidate does not exist yet");
	else if (f->state == TO(PENDING))
		snprintf(state, sizeof(state),
		    "candidate is pending (waiting for %s)",
		    msg_role_name(f->step_role));
	else
		snprintf(state, sizeof(state), "candidate is %s",
		    workflow_state_name(f->state));
	for (a = ACTION(PROPOSE); a <= ACTION_MAX; a++) {
		if (allowed & (1u << a))
			wf_append(may, sizeof(may), wf_actions[a].name);
	}
	out->code = code;
	out->field = field;
	snprintf(out->message, sizeof(out->message), "%s; %s; you may: %s",
	    state, why, allowed ? may : "none");
}

int
workflow_check(const struct wf_facts *f, Tier__CandidateAction action,
    struct wf_outcome *out)
{
	const struct wf_rule *rule = NULL;
	const struct wf_need *need = NULL;
	char why[160] = "", who[96] = "";
	unsigned r;

	memset(out, 0, sizeof(*out));
	out->next = f->state;
	out->code = TIER__ERROR_CODE__ERROR_CODE_NONE;
	out->field = "";
	switch (wf_judge(f, action, 1, &rule, &need)) {
	case WF_ALLOWED:
		out->next = rule->to;
		if ((rule->needs & WF_IF_COMPLETE) && !f->score_complete)
			out->next = TO(PROPOSED);
		if ((rule->needs & WF_CHAIN) && !f->last_step) {
			out->next = TO(PENDING);
			out->advance_step = 1;
		}
		return 0;
	case WF_OUT_OF_SCOPE:
		/* Exactly what a missing candidate gets: nothing leaks. */
		out->code = TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND;
		out->field = action == ACTION(PROPOSE)
				 ? "candidate_propose.segment"
				 : "candidate_act.candidate_id";
		snprintf(
		    out->message, sizeof(out->message), "no such candidate");
		return ERR_DENIED;
	case WF_CYCLE_SHUT:
		wf_refuse(f, out, BAD_REQ, "",
		    "the cycle is not open, so nothing in it can change");
		return ERR_DENIED;
	case WF_NO_ACTION:
		wf_refuse(f, out, BAD_REQ, "candidate_act.action",
		    "the action is missing or unknown");
		return ERR_DENIED;
	case WF_WRONG_STATE:
		if (f->state == TO(PENDING))
			snprintf(why, sizeof(why),
			    "it is locked until decided or returned");
		else
			snprintf(why, sizeof(why), "it cannot be %s",
			    wf_actions[action].done);
		wf_refuse(f, out, BAD_REQ, "", why);
		return ERR_DENIED;
	case WF_WRONG_ROLE:
		for (r = 0; r < 32; r++) {
			if (rule->roles & (1u << r))
				wf_append(who, sizeof(who),
				    msg_role_name((Tier__Role)r));
		}
		snprintf(why, sizeof(why), "%s cannot %s it (%s can)",
		    msg_role_name(f->role), wf_actions[action].name, who);
		wf_refuse(f, out, DENIED, "", why);
		return ERR_DENIED;
	case WF_UNMET:
		wf_refuse(f, out, need->code, need->field, need->why);
		return ERR_DENIED;
	}
	return ERR_INTERNAL;
}
