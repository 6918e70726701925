/*
 * The candidate state machine against an oracle written the plain way, one
 * if per rule, over every state, action and role and many combinations of
 * facts; then the rules people will ask about, one test each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tierd.h"

#define ST(x) TIER__CANDIDATE_STATE__CANDIDATE_STATE_##x
#define AC(x) TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_##x
#define RO(x) TIER__ROLE__ROLE_##x
#define EC(x) TIER__ERROR_CODE__ERROR_CODE_##x

#define NSTATES  7 /* UNSPECIFIED .. WITHDRAWN */
#define NACTIONS 9 /* UNSPECIFIED .. REOPEN */
#define NROLES   9 /* UNSPECIFIED .. AUDITOR */

/* What the oracle expects of workflow_check. */
struct expect {
	Tier__ErrorCode code;      /* NONE when allowed */
	const char *field;         /* "" when none */
	Tier__CandidateState next; /* when allowed */
	int advance;               /* when allowed */
};

static struct expect
refuse(Tier__ErrorCode code, const char *field)
{
	struct expect e = { code, field, ST(UNSPECIFIED), 0 };

	return e;
}

static struct expect
go(Tier__CandidateState next, int advance)
{
	struct expect e = { EC(NONE), "", next, advance };

	return e;
}

#define BAD(field) refuse(EC(BAD_REQUEST), field)
#define DENY       refuse(EC(PERMISSION_DENIED), "")

/* The rules of PROTOCOL.md's table, written out without a table. */
static struct expect
oracle(const struct wf_facts *f, Tier__CandidateAction a)
{
	Tier__CandidateState s = f->state;
	Tier__Role r = f->role;
	int approver = r == RO(BU_VP) || r == RO(BG_VP);
	int early = s == ST(PROPOSED) || s == ST(SCORED);

	if (!f->in_scope)
		return refuse(EC(NOT_FOUND),
		    a == AC(PROPOSE) ? "candidate_propose.segment"
				     : "candidate_act.candidate_id");
	if (!f->cycle_open)
		return BAD("");
	switch (a) {
	case AC(PROPOSE):
		if (s != ST(UNSPECIFIED))
			return BAD("");
		if (r != RO(SEGMENT_MGR) && r != RO(ACCOUNT_MGR) &&
		    r != RO(MARKETING_HEAD))
			return DENY;
		return go(ST(PROPOSED), 0);
	case AC(SCORE):
		if (!early)
			return BAD("");
		if (r != RO(SEGMENT_MGR) && r != RO(BU_VP))
			return DENY;
		if (!f->has_scores)
			return BAD("candidate_act.scores");
		return go(f->score_complete ? ST(SCORED) : ST(PROPOSED), 0);
	case AC(SUBMIT):
		if (s != ST(SCORED))
			return BAD("");
		if (r != RO(SEGMENT_MGR))
			return DENY;
		if (!f->score_complete || f->needs_rescore)
			return BAD("candidate_act.scores");
		if (f->below_min)
			return BAD("");
		if (!f->has_tier)
			return BAD("candidate_act.tier");
		if (!f->has_owner)
			return BAD("candidate_act.owner");
		if (f->tier_differs && !f->has_justification)
			return BAD("candidate_act.justification");
		return go(ST(PENDING), 0);
	case AC(APPROVE):
		if (s != ST(PENDING))
			return BAD("");
		if (!approver || r != f->step_role)
			return DENY;
		if (f->is_proposer || f->is_submitter ||
		    f->decided_earlier_step)
			return DENY;
		if (f->last_step)
			return go(ST(APPROVED), 0);
		return go(ST(PENDING), 1);
	case AC(REJECT):
		if (s == ST(PENDING)) {
			if (!approver || r != f->step_role)
				return DENY;
		} else if (early) {
			if (r != RO(SEGMENT_MGR) && r != RO(BU_VP))
				return DENY;
		} else {
			return BAD("");
		}
		if (!f->has_reason)
			return BAD("candidate_act.reason");
		return go(ST(REJECTED), 0);
	case AC(RETURN):
		if (s != ST(PENDING))
			return BAD("");
		if (!approver || r != f->step_role)
			return DENY;
		if (!f->has_reason)
			return BAD("candidate_act.reason");
		return go(ST(PROPOSED), 0);
	case AC(WITHDRAW):
		if (!early)
			return BAD("");
		if (r != RO(SEGMENT_MGR) && r != RO(ACCOUNT_MGR) &&
		    r != RO(BU_VP))
			return DENY;
		return go(ST(WITHDRAWN), 0);
	case AC(REOPEN):
		if (s != ST(APPROVED) && s != ST(REJECTED) &&
		    s != ST(WITHDRAWN))
			return BAD("");
		if (r != RO(BU_VP))
			return DENY;
		if (!f->has_reason)
			return BAD("candidate_act.reason");
		return go(ST(PROPOSED), 0);
	default:
		return BAD("candidate_act.action");
	}
}

/* What the oracle allows once the request carries everything. */
static uint32_t
oracle_allowed(const struct wf_facts *f)
{
	struct wf_facts full = *f;
	uint32_t allowed = 0;
	int a;

	full.has_scores = full.has_reason = full.has_tier = 1;
	full.has_owner = full.has_justification = 1;
	for (a = 0; a < NACTIONS; a++) {
		if (oracle(&full, (Tier__CandidateAction)a).code == EC(NONE))
			allowed |= 1u << a;
	}
	return allowed;
}

/* "approve, reject" for a mask, "none" when empty. */
static void
names_of(uint32_t allowed, char *buf, size_t len)
{
	int a;

	buf[0] = '\0';
	for (a = 0; a < NACTIONS; a++) {
		if (allowed & (1u << a))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			    buf[0] ? ", " : "",
			    workflow_action_name((Tier__CandidateAction)a));
	}
	if (allowed == 0)
		snprintf(buf, len, "none");
}

/* Facts under which every action of the state would pass its needs. */
static struct wf_facts
good_facts(Tier__CandidateState s, Tier__Role r, Tier__Role step)
{
	struct wf_facts f = {
		.state = s,
		.role = r,
		.in_scope = 1,
		.cycle_open = 1,
		.step_role = step,
		.last_step = 1,
		.score_complete = 1,
		.has_scores = 1,
		.has_reason = 1,
		.has_tier = 1,
		.has_owner = 1,
		.has_justification = 1,
	};

	return f;
}

/* Flips fact number i (0..NFLIPS-1) away from good_facts. */
#define NFLIPS 15
static void
flip(struct wf_facts *f, int i)
{
	switch (i) {
	case 0:
		f->in_scope = !f->in_scope;
		break;
	case 1:
		f->cycle_open = !f->cycle_open;
		break;
	case 2:
		f->is_proposer = !f->is_proposer;
		break;
	case 3:
		f->is_submitter = !f->is_submitter;
		break;
	case 4:
		f->decided_earlier_step = !f->decided_earlier_step;
		break;
	case 5:
		f->last_step = !f->last_step;
		break;
	case 6:
		f->score_complete = !f->score_complete;
		break;
	case 7:
		f->needs_rescore = !f->needs_rescore;
		break;
	case 8:
		f->below_min = !f->below_min;
		break;
	case 9:
		f->has_scores = !f->has_scores;
		break;
	case 10:
		f->has_reason = !f->has_reason;
		break;
	case 11:
		f->has_tier = !f->has_tier;
		break;
	case 12:
		f->has_owner = !f->has_owner;
		break;
	case 13:
		f->tier_differs = !f->tier_differs;
		break;
	case 14:
		f->has_justification = !f->has_justification;
		break;
	}
}

static void
check_one(const struct wf_facts *f, Tier__CandidateAction a)
{
	struct expect e = oracle(f, a);
	struct wf_outcome out;
	char may[128], tail[160];
	int rc;

	memset(&out, 0xa5, sizeof(out));
	rc = workflow_check(f, a, &out);
	if (out.code != e.code || strcmp(out.field, e.field) != 0)
		fail_msg("state %s, action %s, role %s, step %s: got code %d "
			 "field \"%s\" (%s), want code %d field \"%s\"",
		    workflow_state_name(f->state), workflow_action_name(a),
		    msg_role_name(f->role), msg_role_name(f->step_role),
		    out.code, out.field, out.message, e.code, e.field);
	if (e.code == EC(NONE)) {
		assert_int_equal(rc, 0);
		assert_int_equal(out.next, e.next);
		assert_int_equal(out.advance_step, e.advance);
		assert_string_equal(out.message, "");
		return;
	}
	assert_int_equal(rc, ERR_DENIED);
	assert_int_equal(out.next, f->state);
	assert_int_equal(out.advance_step, 0);
	if (e.code == EC(NOT_FOUND)) {
		assert_string_equal(out.message, "no such candidate");
		return;
	}
	/* Names the state and ends with what the oracle says one may do. */
	if (f->state != ST(UNSPECIFIED))
		assert_non_null(
		    strstr(out.message, workflow_state_name(f->state)));
	names_of(oracle_allowed(f), may, sizeof(may));
	snprintf(tail, sizeof(tail), "; you may: %s", may);
	assert_true(strlen(out.message) >= strlen(tail));
	assert_string_equal(
	    out.message + strlen(out.message) - strlen(tail), tail);
}

static void
check_facts(const struct wf_facts *f)
{
	struct wf_facts bare = *f;
	int a;

	for (a = 0; a < NACTIONS; a++)
		check_one(f, (Tier__CandidateAction)a);
	assert_int_equal(workflow_allowed(f), oracle_allowed(f));
	/* What the request carries makes no difference to what is allowed. */
	bare.has_scores = bare.has_reason = bare.has_tier = 0;
	bare.has_owner = bare.has_justification = 0;
	bare.tier_differs = 1;
	assert_int_equal(workflow_allowed(&bare), workflow_allowed(f));
}

/*
 * Every state x action x role, with the pending step's role bu_vp, bg_vp or
 * something odd, and the good facts with up to three of them turned bad,
 * which also checks which of two or three failures is reported.
 */
static void
test_exhaustive(void **state)
{
	static const Tier__Role steps[] = { RO(BU_VP), RO(BG_VP),
		RO(SEGMENT_MGR) };
	struct wf_facts f;
	unsigned flips, i;
	int s, r, st;

	(void)state;
	for (s = 0; s < NSTATES; s++) {
		for (r = 0; r < NROLES; r++) {
			for (st = 0; st < 3; st++) {
				for (flips = 0; flips < 1u << NFLIPS; flips++) {
					if (__builtin_popcount(flips) > 3)
						continue;
					f = good_facts(s, r, steps[st]);
					for (i = 0; i < NFLIPS; i++) {
						if (flips & (1u << i))
							flip(&f, (int)i);
					}
					check_facts(&f);
				}
			}
		}
	}
}

static struct wf_facts
pending(Tier__Role actor, Tier__Role step)
{
	return good_facts(ST(PENDING), actor, step);
}

static int
check(const struct wf_facts *f, Tier__CandidateAction a, struct wf_outcome *out)
{
	return workflow_check(f, a, out);
}

static void
test_four_eyes(void **state)
{
	struct wf_outcome out;
	struct wf_facts f;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		f = pending(RO(BU_VP), RO(BU_VP));
		if (i == 0)
			f.is_proposer = 1;
		else if (i == 1)
			f.is_submitter = 1;
		else
			f.decided_earlier_step = 1;
		assert_int_equal(check(&f, AC(APPROVE), &out), ERR_DENIED);
		assert_int_equal(out.code, EC(PERMISSION_DENIED));
		assert_non_null(strstr(out.message, "four eyes"));
		assert_non_null(strstr(out.message, i == 0   ? "proposed"
						    : i == 1 ? "submitted"
							     : "earlier step"));
		/* Four eyes is about approving; sending it back is fine. */
		assert_int_equal(check(&f, AC(REJECT), &out), 0);
		assert_int_equal(check(&f, AC(RETURN), &out), 0);
		assert_int_equal(
		    workflow_allowed(&f), 1u << AC(REJECT) | 1u << AC(RETURN));
		assert_string_equal(out.message, "");
	}
}

static void
test_step_role(void **state)
{
	static const Tier__CandidateAction decide[] = { AC(APPROVE), AC(REJECT),
		AC(RETURN) };
	struct wf_outcome out;
	struct wf_facts f;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		f = pending(RO(BG_VP), RO(BU_VP));
		assert_int_equal(check(&f, decide[i], &out), ERR_DENIED);
		assert_int_equal(out.code, EC(PERMISSION_DENIED));
		assert_string_equal(out.message,
		    "candidate is pending (waiting for bu_vp); this step is "
		    "for another role; you may: none");
		f = pending(RO(BU_VP), RO(BG_VP));
		assert_int_equal(check(&f, decide[i], &out), ERR_DENIED);
		assert_int_equal(out.code, EC(PERMISSION_DENIED));
		f = pending(RO(BG_VP), RO(BG_VP));
		assert_int_equal(check(&f, decide[i], &out), 0);
	}
}

static void
test_out_of_scope(void **state)
{
	struct wf_outcome out;
	struct wf_facts f;
	int s, a;

	(void)state;
	for (s = 0; s < NSTATES; s++) {
		for (a = 0; a < NACTIONS; a++) {
			f = good_facts(s, RO(BU_VP), RO(BU_VP));
			f.in_scope = 0;
			f.cycle_open = 0; /* scope is checked first */
			assert_int_equal(check(&f, a, &out), ERR_DENIED);
			assert_int_equal(out.code, EC(NOT_FOUND));
			assert_string_equal(out.message, "no such candidate");
			assert_int_equal(workflow_allowed(&f), 0);
		}
	}
}

static void
test_cycle_not_open(void **state)
{
	struct wf_outcome out;
	struct wf_facts f = good_facts(ST(SCORED), RO(SEGMENT_MGR), 0);

	(void)state;
	assert_int_equal(
	    workflow_allowed(&f), 1u << AC(SCORE) | 1u << AC(SUBMIT) |
				      1u << AC(REJECT) | 1u << AC(WITHDRAW));
	f.cycle_open = 0;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(BAD_REQUEST));
	assert_string_equal(out.message,
	    "candidate is scored; the cycle is not open, so nothing in it "
	    "can change; you may: none");
	assert_int_equal(workflow_allowed(&f), 0);
}

static void
test_reason_required(void **state)
{
	static const struct {
		Tier__CandidateState state;
		Tier__Role role;
		Tier__CandidateAction action;
	} cases[] = {
		{ ST(PENDING), RO(BU_VP), AC(REJECT) },
		{ ST(PENDING), RO(BU_VP), AC(RETURN) },
		{ ST(PROPOSED), RO(SEGMENT_MGR), AC(REJECT) },
		{ ST(SCORED), RO(BU_VP), AC(REJECT) },
		{ ST(APPROVED), RO(BU_VP), AC(REOPEN) },
		{ ST(REJECTED), RO(BU_VP), AC(REOPEN) },
		{ ST(WITHDRAWN), RO(BU_VP), AC(REOPEN) },
	};
	struct wf_outcome out;
	struct wf_facts f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f = good_facts(cases[i].state, cases[i].role, RO(BU_VP));
		f.has_reason = 0;
		assert_int_equal(check(&f, cases[i].action, &out), ERR_DENIED);
		assert_int_equal(out.code, EC(BAD_REQUEST));
		assert_string_equal(out.field, "candidate_act.reason");
		assert_true(workflow_allowed(&f) & (1u << cases[i].action));
		f.has_reason = 1;
		assert_int_equal(check(&f, cases[i].action, &out), 0);
	}
	/* Withdrawing needs none. */
	f = good_facts(ST(PROPOSED), RO(ACCOUNT_MGR), 0);
	f.has_reason = 0;
	assert_int_equal(check(&f, AC(WITHDRAW), &out), 0);
	assert_int_equal(out.next, ST(WITHDRAWN));
}

static void
test_submit_requirements(void **state)
{
	struct wf_outcome out;
	struct wf_facts f, ok = good_facts(ST(SCORED), RO(SEGMENT_MGR), 0);

	(void)state;
	assert_int_equal(check(&ok, AC(SUBMIT), &out), 0);
	assert_int_equal(out.next, ST(PENDING));
	assert_int_equal(out.advance_step, 0);

	f = ok;
	f.score_complete = 0;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(BAD_REQUEST));
	assert_string_equal(out.field, "candidate_act.scores");
	assert_false(workflow_allowed(&f) & (1u << AC(SUBMIT)));

	f = ok;
	f.needs_rescore = 1;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.scores");
	assert_non_null(strstr(out.message, "rescore"));
	assert_false(workflow_allowed(&f) & (1u << AC(SUBMIT)));

	f = ok;
	f.below_min = 1;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(BAD_REQUEST));
	assert_non_null(strstr(out.message, "below"));
	assert_string_equal(out.message + strlen(out.message) -
				strlen("you may: score, reject, withdraw"),
	    "you may: score, reject, withdraw");

	f = ok;
	f.has_tier = 0;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.tier");

	f = ok;
	f.has_owner = 0;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.owner");

	/* A justification is needed only to deviate from the suggestion. */
	f = ok;
	f.has_justification = 0;
	assert_int_equal(check(&f, AC(SUBMIT), &out), 0);
	f.tier_differs = 1;
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.justification");
	f.has_justification = 1;
	assert_int_equal(check(&f, AC(SUBMIT), &out), 0);

	/* Only the segment manager submits. */
	f = good_facts(ST(SCORED), RO(BU_VP), 0);
	assert_int_equal(check(&f, AC(SUBMIT), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(PERMISSION_DENIED));
	assert_string_equal(out.message,
	    "candidate is scored; bu_vp cannot submit it (segment_mgr can); "
	    "you may: score, reject, withdraw");
}

static void
test_pending_is_locked(void **state)
{
	struct wf_outcome out;
	struct wf_facts f = pending(RO(SEGMENT_MGR), RO(BU_VP));

	(void)state;
	assert_int_equal(check(&f, AC(SCORE), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(BAD_REQUEST));
	assert_string_equal(out.message,
	    "candidate is pending (waiting for bu_vp); it is locked until "
	    "decided or returned; you may: none");
	f.role = RO(BU_VP);
	assert_int_equal(check(&f, AC(SCORE), &out), ERR_DENIED);
	assert_string_equal(out.message,
	    "candidate is pending (waiting for bu_vp); it is locked until "
	    "decided or returned; you may: approve, reject, return");
}

static void
test_approve_steps(void **state)
{
	struct wf_outcome out;
	struct wf_facts f = pending(RO(BU_VP), RO(BU_VP));

	(void)state;
	f.last_step = 0;
	assert_int_equal(check(&f, AC(APPROVE), &out), 0);
	assert_int_equal(out.next, ST(PENDING));
	assert_int_equal(out.advance_step, 1);
	assert_int_equal(out.code, EC(NONE));
	assert_string_equal(out.field, "");
	f = pending(RO(BG_VP), RO(BG_VP));
	assert_int_equal(check(&f, AC(APPROVE), &out), 0);
	assert_int_equal(out.next, ST(APPROVED));
	assert_int_equal(out.advance_step, 0);
}

static void
test_score_next_state(void **state)
{
	struct wf_outcome out;
	struct wf_facts f = good_facts(ST(PROPOSED), RO(SEGMENT_MGR), 0);

	(void)state;
	assert_int_equal(check(&f, AC(SCORE), &out), 0);
	assert_int_equal(out.next, ST(SCORED));
	f.score_complete = 0;
	assert_int_equal(check(&f, AC(SCORE), &out), 0);
	assert_int_equal(out.next, ST(PROPOSED));
	f.state = ST(SCORED);
	f.role = RO(BU_VP);
	assert_int_equal(check(&f, AC(SCORE), &out), 0);
	assert_int_equal(out.next, ST(PROPOSED));
	f.has_scores = 0;
	assert_int_equal(check(&f, AC(SCORE), &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.scores");
}

static void
test_allowed_ignores_request(void **state)
{
	struct wf_facts f = pending(RO(BU_VP), RO(BU_VP));

	(void)state;
	f.has_reason = 0;
	assert_int_equal(workflow_allowed(&f),
	    1u << AC(APPROVE) | 1u << AC(REJECT) | 1u << AC(RETURN));
	f = good_facts(ST(SCORED), RO(SEGMENT_MGR), 0);
	f.has_tier = f.has_owner = f.has_scores = f.has_reason = 0;
	f.tier_differs = 1;
	f.has_justification = 0;
	assert_int_equal(
	    workflow_allowed(&f), 1u << AC(SCORE) | 1u << AC(SUBMIT) |
				      1u << AC(REJECT) | 1u << AC(WITHDRAW));
	/* Propose is allowed only before there is a candidate. */
	f = good_facts(ST(UNSPECIFIED), RO(ACCOUNT_MGR), 0);
	assert_int_equal(workflow_allowed(&f), 1u << AC(PROPOSE));
	f.role = RO(AUDITOR);
	assert_int_equal(workflow_allowed(&f), 0);
}

static void
test_messages(void **state)
{
	struct wf_outcome out;
	struct wf_facts f = pending(RO(SEGMENT_MGR), RO(BG_VP));

	(void)state;
	assert_int_equal(check(&f, AC(APPROVE), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(PERMISSION_DENIED));
	assert_string_equal(out.message,
	    "candidate is pending (waiting for bg_vp); segment_mgr cannot "
	    "approve it (bg_vp, bu_vp can); you may: none");

	f = pending(RO(BU_VP), RO(BU_VP));
	f.has_reason = 0;
	assert_int_equal(check(&f, AC(RETURN), &out), ERR_DENIED);
	assert_string_equal(out.message,
	    "candidate is pending (waiting for bu_vp); a reason is required; "
	    "you may: approve, reject, return");

	f = good_facts(ST(APPROVED), RO(SEGMENT_MGR), 0);
	assert_int_equal(check(&f, AC(WITHDRAW), &out), ERR_DENIED);
	assert_string_equal(out.message,
	    "candidate is approved; it cannot be withdrawn; you may: none");
	f.role = RO(BU_VP);
	assert_int_equal(check(&f, AC(APPROVE), &out), ERR_DENIED);
	assert_string_equal(out.message,
	    "candidate is approved; it cannot be approved; you may: reopen");

	f = good_facts(ST(PROPOSED), RO(SEGMENT_MGR), 0);
	assert_int_equal(check(&f, AC(UNSPECIFIED), &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.action");
	assert_string_equal(out.message,
	    "candidate is proposed; the action is missing or unknown; you "
	    "may: score, reject, withdraw");
}

/* Values no enum has are refused, not looked up out of bounds. */
static void
test_out_of_range(void **state)
{
	struct wf_outcome out;
	struct wf_facts f = good_facts(ST(PROPOSED), RO(SEGMENT_MGR), 0);

	(void)state;
	assert_int_equal(check(&f, (Tier__CandidateAction)9, &out), ERR_DENIED);
	assert_string_equal(out.field, "candidate_act.action");
	assert_int_equal(
	    check(&f, (Tier__CandidateAction)-1, &out), ERR_DENIED);
	f.state = (Tier__CandidateState)77;
	assert_int_equal(check(&f, AC(SCORE), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(BAD_REQUEST));
	assert_int_equal(workflow_allowed(&f), 0);
	f = good_facts(ST(PROPOSED), (Tier__Role)40, 0);
	assert_int_equal(check(&f, AC(SCORE), &out), ERR_DENIED);
	assert_int_equal(out.code, EC(PERMISSION_DENIED));
	assert_string_equal(
	    workflow_action_name((Tier__CandidateAction)9), "unknown");
	assert_string_equal(
	    workflow_state_name((Tier__CandidateState)-3), "unknown");
}

/* The names are the .proto's, lower case and without the prefix. */
static void
test_names(void **state)
{
	const ProtobufCEnumDescriptor *d[] = {
		&tier__candidate_action__descriptor,
		&tier__candidate_state__descriptor,
	};
	const char *prefix[] = { "CANDIDATE_ACTION_", "CANDIDATE_STATE_" };
	char want[64];
	unsigned i, v, c;

	(void)state;
	for (i = 0; i < 2; i++) {
		for (v = 0; v < d[i]->n_values; v++) {
			const char *n =
			    d[i]->values[v].name + strlen(prefix[i]);

			for (c = 0; n[c] != '\0' && c < sizeof(want) - 1; c++)
				want[c] = (char)(n[c] + ('a' - 'A') *
							    (n[c] >= 'A' &&
								n[c] <= 'Z'));
			want[c] = '\0';
			assert_string_equal(
			    i == 0 ? workflow_action_name(d[i]->values[v].value)
				   : workflow_state_name(d[i]->values[v].value),
			    want);
		}
	}
	assert_int_equal(tier__candidate_action__descriptor.n_values, NACTIONS);
	assert_int_equal(tier__candidate_state__descriptor.n_values, NSTATES);
	assert_int_equal(tier__role__descriptor.n_values, NROLES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_four_eyes),
		cmocka_unit_test(test_step_role),
		cmocka_unit_test(test_out_of_scope),
		cmocka_unit_test(test_cycle_not_open),
		cmocka_unit_test(test_reason_required),
		cmocka_unit_test(test_submit_requirements),
		cmocka_unit_test(test_pending_is_locked),
		cmocka_unit_test(test_approve_steps),
		cmocka_unit_test(test_score_next_state),
		cmocka_unit_test(test_allowed_ignores_request),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
