/*
 * The subcommand table, the one list of what tier can do: main.c dispatches
 * through it, and "tier --help" and "tier help COMMAND" print from it. Also
 * the option handling every subcommand shares.
 */
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "err.h"
#include "noise.h"
#include "tier.h"

/* The help of the options every --watch list command takes. */
#define CMD_WATCH_HELP                                                         \
	"  --watch              after the list, print each change as it\n"     \
	"                       is committed, until interrupted (JSON\n"       \
	"                       lines when not on a terminal or with\n"        \
	"                       --output json); a restarted watch\n"           \
	"                       resumes where the last one stopped\n"          \
	"  --since SEQ          with --watch: the changes after SEQ\n"         \
	"  --fresh              with --watch: changes from now on only\n"

static const struct cmd_entry cmd_user_table[] = {
	{ "add", cmd_user_add_main,
	    "create a user and print its first enrolment code",
	    "user add NAME --role ROLE [--scope SCOPE] [--display-name TEXT] "
	    "[--code-ttl DURATION]",
	    "Creates the user NAME and prints a single-use enrolment code for\n"
	    "it. Give the code to the user over a trusted channel; they run\n"
	    "'tier enroll CODE' on their machine. Needs the admin role.\n"
	    "\n"
	    "options:\n"
	    "  --role ROLE          bg_vp, bu_vp, segment_mgr, account_mgr,\n"
	    "                       researcher, marketing_head, admin or "
	    "auditor\n"
	    "  --scope SCOPE        all (admin and auditor only; their "
	    "default),\n"
	    "                       bg:NAME, bu:NAME or "
	    "segments:NAME[,NAME...]\n"
	    "  --display-name TEXT  the person's name, free text\n"
	    "  --code-ttl DURATION  code lifetime: seconds, or a number with "
	    "s, "
	    "m,\n"
	    "                       h or d (default 24h on the server)\n",
	    NULL },
	{ "code", cmd_user_code_main,
	    "issue a new enrolment code (lost key, new machine)",
	    "user code NAME [--code-ttl DURATION]",
	    "Issues a new enrolment code for NAME; earlier unused codes stop\n"
	    "working. The user's current key keeps working until the new code\n"
	    "is used. Needs the admin role.\n"
	    "\n"
	    "options:\n"
	    "  --code-ttl DURATION  code lifetime: seconds, or a number with "
	    "s, "
	    "m,\n"
	    "                       h or d (default 24h on the server)\n",
	    NULL },
	{ "list", cmd_user_list_main, "list users, by name",
	    "user list [--page-size N]",
	    "Lists every user with role, scope, enrolment date and display\n"
	    "name, fetching page after page. Needs the admin or auditor "
	    "role.\n"
	    "\n"
	    "options:\n"
	    "  --page-size N        users fetched per request, 1 to 1000\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_audit_table[] = {
	{ "show", cmd_audit_show_main,
	    "show the history of a record, change by change",
	    "audit show candidate|customer|cycle|visit|complaint|inquiry|user|"
	    "unit|delegation ID",
	    "Lists every audited change of the record, oldest first: when,\n"
	    "who, the action, the reason given and the fields it changed\n"
	    "(--output json adds the full before and after records and each\n"
	    "entry's chain hash). Anyone who can see the record may ask;\n"
	    "users, units and delegations are for admin and auditor.\n",
	    NULL },
	{ "verify", cmd_audit_verify_main,
	    "check the whole audit log's hash chain", "audit verify",
	    "Recomputes the hash chain of the whole audit log on the server.\n"
	    "Any edited, deleted or reordered entry breaks the chain; the\n"
	    "first such entry is named and the exit status is 1. Prints the\n"
	    "head hash: keep it outside the server to detect a log rewritten\n"
	    "from that point on. Needs the auditor or admin role.\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_candidate_table[] = {
	{ "propose", cmd_candidate_propose_main,
	    "enter a customer into a cycle for a segment",
	    "candidate propose --cycle ID --segment NAME --customer ID",
	    "Proposes customer ID (of the cycle's BU) as a candidate of the\n"
	    "open cycle for segment NAME. One candidate per customer and\n"
	    "cycle. Needs the segment_mgr or account_mgr role and the segment\n"
	    "in scope.\n",
	    NULL },
	{ "score", cmd_candidate_act_main,
	    "score a candidate on one or more criteria",
	    "candidate score ID NAME=VALUE... [--if-version N]",
	    "Sets the candidate's score on each criterion named, an integer\n"
	    "within the criterion's scale (tier criteria show CYCLE). The\n"
	    "server computes the weighted score; once every criterion is\n"
	    "scored the candidate is scored. Pending candidates are locked.\n"
	    "\n"
	    "options:\n"
	    "  --if-version N       the version you saw; a newer one is a\n"
	    "                       conflict (exit 8). Default: the current\n",
	    NULL },
	{ "submit", cmd_candidate_act_main,
	    "submit a scored candidate with tier and owner",
	    "candidate submit ID --tier strategic|key|general --owner USER "
	    "[--justification TEXT] [--if-version N]",
	    "Submits the candidate into the approval chain of its tier, with\n"
	    "USER as development owner. A tier other than the suggested one\n"
	    "needs --justification; a score below the cycle's minimum cannot\n"
	    "be submitted (reject it instead).\n"
	    "\n"
	    "options:\n"
	    "  --tier TIER          strategic, key or general\n"
	    "  --owner USER         a user whose scope sees the segment\n"
	    "  --justification TEXT why the tier differs from the suggestion\n"
	    "  --if-version N       the version you saw (default: the "
	    "current)\n",
	    NULL },
	{ "approve", cmd_candidate_act_main,
	    "approve the pending step of a candidate",
	    "candidate approve ID [--reason TEXT] [--if-version N]",
	    "Approves the step waiting for your role (or for the approver you\n"
	    "stand in for); the last step makes the candidate an approved\n"
	    "target. Nobody approves what they proposed or submitted, nor two\n"
	    "steps of one submission.\n",
	    NULL },
	{ "reject", cmd_candidate_act_main, "reject a candidate, with a reason",
	    "candidate reject ID --reason TEXT [--if-version N]",
	    "Rejects a pending candidate (by the step's approver), or a\n"
	    "proposed or scored one (segment_mgr, bu_vp). Saying no is a\n"
	    "recorded decision: the reason is required.\n",
	    NULL },
	{ "return", cmd_candidate_act_main,
	    "send a pending candidate back to proposed, with a reason",
	    "candidate return ID --reason TEXT [--if-version N]",
	    "Returns a pending candidate to its proposer's side (proposed),\n"
	    "for rescoring or a new submission. The reason is required.\n",
	    NULL },
	{ "withdraw", cmd_candidate_act_main,
	    "withdraw a proposed or scored candidate",
	    "candidate withdraw ID [--reason TEXT] [--if-version N]", NULL,
	    NULL },
	{ "reopen", cmd_candidate_act_main,
	    "reopen an approved, rejected or withdrawn candidate",
	    "candidate reopen ID --reason TEXT [--if-version N]",
	    "Brings a decided candidate back to proposed. Needs the bu_vp\n"
	    "role and a reason.\n",
	    NULL },
	{ "show", cmd_candidate_show_main,
	    "show a candidate: state, score, ranks, chain, gaps",
	    "candidate show ID [--offline]",
	    "Shows the candidate's state (and the pending step), its score,\n"
	    "its rank in the segment and the BU, the suggested and submitted\n"
	    "tiers, the approval chain with its decisions, missing\n"
	    "information, and the actions you may take now.\n"
	    "\n"
	    "options:\n"
	    "  --offline            read the local copy that tier sync keeps,\n"
	    "                       not the server\n",
	    NULL },
	{ "explain", cmd_candidate_explain_main,
	    "show a candidate's score criterion by criterion",
	    "candidate explain ID", NULL, NULL },
	{ "list", cmd_candidate_list_main,
	    "list a cycle's candidates, best score first",
	    "candidate list --cycle ID [--segment NAME] [--state STATE] "
	    "[--watch [--since SEQ | --fresh] | --offline]",
	    "Lists the candidates of the cycle you can see, best score first\n"
	    "(unscored last). RANK is the rank in the segment / in the BU.\n"
	    "With --watch, then follows every change to the cycle's\n"
	    "candidates (of the segment, if given) as it is committed.\n"
	    "\n"
	    "options:\n"
	    "  --segment NAME       only this segment\n"
	    "  --state STATE        proposed, scored, pending, approved,\n"
	    "                       rejected or withdrawn (the list "
	    "only)\n" CMD_WATCH_HELP
	    "  --offline            read the local copy that tier sync keeps,\n"
	    "                       not the server\n",
	    NULL },
	{ "import", cmd_candidate_import_main,
	    "propose candidates from a CSV file, all or none",
	    "candidate import FILE --cycle ID [--dry-run] "
	    "[--encoding utf-8|gb18030]",
	    "Proposes a candidate of cycle ID for each row, in one\n"
	    "transaction, with the rules of candidate propose. Columns:\n"
	    "segment (required), customer_id or customer (a name; a\n"
	    "customer of the cycle's BU by that name is used, or added).\n"
	    "candidate_id, state, score, suggested_tier, tier and owner\n"
	    "(as export writes them) are ignored.\n"
	    "\n"
	    "options:\n"
	    "  --dry-run            check every row, change nothing\n"
	    "  --encoding gb18030   convert a GB18030 file to UTF-8 first\n",
	    NULL },
	{ "export", cmd_candidate_export_main,
	    "write a cycle's candidates as CSV for Excel",
	    "candidate export --cycle ID [--file F]",
	    "Columns: candidate_id, customer_id, customer, segment, state,\n"
	    "score, suggested_tier, tier, owner.\n"
	    "\n"
	    "options:\n"
	    "  --file F             write to F, not standard output\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_score_table[] = {
	{ "import", cmd_score_import_main,
	    "score candidates from a CSV file, all or none",
	    "score import FILE --cycle ID [--dry-run] "
	    "[--encoding utf-8|gb18030]",
	    "Scores the candidates of cycle ID, one row per candidate, in\n"
	    "one transaction, with the rules of candidate score. Columns:\n"
	    "candidate_id (required), then one column per criterion, named\n"
	    "as the criterion, holding a whole number within its scale; an\n"
	    "empty cell leaves that criterion as it is, a row without any\n"
	    "score is skipped. customer and segment are ignored.\n"
	    "\n"
	    "options:\n"
	    "  --dry-run            check every row, change nothing\n"
	    "  --encoding gb18030   convert a GB18030 file to UTF-8 first\n",
	    NULL },
	{ "export", cmd_score_export_main,
	    "write a cycle's scores as CSV for Excel",
	    "score export --cycle ID [--file F]",
	    "Columns: candidate_id, customer, segment, then each criterion\n"
	    "in force (empty where not scored).\n"
	    "\n"
	    "options:\n"
	    "  --file F             write to F, not standard output\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_org_table[] = {
	{ "add", cmd_org_add_main, "add a business group, unit or segment",
	    "org add bg|bu|segment NAME [--parent NAME]",
	    "Adds a business group (bg), a business unit (bu) inside a\n"
	    "BG, or a market segment inside a BU. Names are unique among\n"
	    "units of a kind: 1-64 characters without ',' or ':'. Needs\n"
	    "the admin role.\n"
	    "\n"
	    "options:\n"
	    "  --parent NAME        the BG of a BU, the BU of a segment\n",
	    NULL },
	{ "list", cmd_org_list_main, "list the units you can see", "org list",
	    "Lists the business groups, units and segments inside your\n"
	    "scope, BGs first, each kind by name, with the unit each\n"
	    "belongs to.\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_cycle_table[] = {
	{ "create", cmd_cycle_create_main,
	    "start a BU's planning year (drafting)",
	    "cycle create --bu BU --year YEAR",
	    "Creates the cycle of BU for YEAR (2000-2999, one per BU and\n"
	    "year). It starts drafting with the default policy: minimum\n"
	    "score 50, strategic from 85, key from 70, general and key\n"
	    "targets approved by bu_vp, strategic ones by bu_vp then\n"
	    "bg_vp, a step overdue after 72 hours. Needs the bu_vp role\n"
	    "for the BU.\n",
	    NULL },
	{ "list", cmd_cycle_list_main, "list the cycles you can see",
	    "cycle list [--bu BU] [--watch [--since SEQ | --fresh] | "
	    "--offline]",
	    "Lists the cycles of the BUs in your scope, newest year\n"
	    "first. With --watch, then follows changes to those cycles.\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              only the cycles of this BU\n" CMD_WATCH_HELP
	    "  --offline            read the local copy that tier sync keeps,\n"
	    "                       not the server\n",
	    NULL },
	{ "show", cmd_cycle_show_main,
	    "show a cycle: state, policy, quotas and progress",
	    "cycle show ID [--offline]",
	    "options:\n"
	    "  --offline            read the local copy that tier sync keeps,\n"
	    "                       not the server\n",
	    NULL },
	{ "set", cmd_cycle_set_main,
	    "change a drafting cycle's policy and segment quotas",
	    "cycle set ID [--min-score X] [--cut-strategic X] [--cut-key X] "
	    "[--chain TIER=ROLE[,ROLE...]]... [--step-limit HOURS] "
	    "[--visit-limit DAYS] [--quota SEGMENT=N]... [--if-version N]",
	    "Changes what is given and keeps the rest. Only while the\n"
	    "cycle is drafting; needs the bu_vp role for the BU.\n"
	    "\n"
	    "options:\n"
	    "  --min-score X        candidates below cannot be submitted\n"
	    "  --cut-strategic X    suggest strategic at or above X\n"
	    "  --cut-key X          suggest key at or above X\n"
	    "  --chain TIER=ROLES   who approves general, key or\n"
	    "                       strategic targets, in order, e.g.\n"
	    "                       strategic=bu_vp,bg_vp\n"
	    "  --step-limit HOURS   a step pending longer is overdue\n"
	    "  --visit-limit DAYS   a target not visited for longer is\n"
	    "                       overdue (default 90)\n"
	    "  --quota SEGMENT=N    candidates wanted from a segment\n"
	    "  --if-version N       refuse if the cycle changed since\n"
	    "                       version N (default: the version\n"
	    "                       read just before)\n",
	    NULL },
	{ "open", cmd_cycle_open_main,
	    "open a cycle for candidates, freezing its criteria",
	    "cycle open ID [--if-version N]",
	    "Opens the cycle: candidates can be proposed, scored and\n"
	    "decided. The cycle needs criteria; they are frozen, and a\n"
	    "later change makes a new version. Needs the bu_vp role for\n"
	    "the BU.\n"
	    "\n"
	    "options:\n"
	    "  --if-version N       refuse if the cycle changed since\n"
	    "                       version N\n",
	    NULL },
	{ "close", cmd_cycle_close_main,
	    "close a cycle for good: nothing in it changes any more",
	    "cycle close ID [--if-version N]",
	    "Closes the cycle once no candidate waits for approval.\n"
	    "Closing is final. Needs the bu_vp role for the BU.\n"
	    "\n"
	    "options:\n"
	    "  --if-version N       refuse if the cycle changed since\n"
	    "                       version N\n",
	    NULL },
	{ "review", cmd_cycle_review_main, "mark a closed cycle as reviewed",
	    "cycle review ID [--if-version N]",
	    "Records that the annual review of the closed cycle (tier\n"
	    "review --cycle ID) has been taken note of: closed -> reviewed.\n"
	    "A reviewed cycle is as final as a closed one. Needs the bu_vp\n"
	    "role for the whole BU.\n"
	    "\n"
	    "options:\n"
	    "  --if-version N       refuse if the cycle changed since\n"
	    "                       version N\n",
	    NULL },
	{ "derive", cmd_cycle_derive_main,
	    "start next year's draft from this cycle",
	    "cycle derive ID --year YEAR --reason TEXT",
	    "Creates a drafting cycle of the same BU for a later YEAR\n"
	    "with a copy of the policy, the quotas and the criteria in\n"
	    "force. The reason is recorded; later criteria changes are\n"
	    "shown against this cycle's criteria. Needs the bu_vp role\n"
	    "for the BU.\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_criteria_table[] = {
	{ "set", cmd_criteria_set_main,
	    "define a cycle's weighted criteria, or a new version",
	    "criteria set CYCLE --criterion 'NAME:WEIGHT:MIN-MAX"
	    "[:DESCRIPTION]'... [--reason TEXT] [--if-version N]",
	    "Replaces the draft criteria of a drafting cycle. In an open\n"
	    "cycle it makes a new version, which needs a reason; every\n"
	    "scored or pending candidate then needs rescoring. Weights\n"
	    "are 1-100 and sum to 100; scores are whole numbers from MIN\n"
	    "to MAX (at most 1000). Needs the bu_vp role for the BU.\n"
	    "\n"
	    "options:\n"
	    "  --criterion SPEC     one criterion, for example\n"
	    "                       'Revenue:40:0-10:annual revenue'\n"
	    "  --reason TEXT        why the criteria change\n"
	    "  --if-version N       refuse if the cycle changed since\n"
	    "                       version N\n",
	    NULL },
	{ "show", cmd_criteria_show_main,
	    "show the criteria in force, one version, or every version",
	    "criteria show CYCLE [--version N | --all]",
	    "Shows the criteria with weights and scales, who made the\n"
	    "version and why, and what changed against the one before.\n"
	    "\n"
	    "options:\n"
	    "  --version N          that version, not the one in force\n"
	    "  --all                every version, oldest first\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_customer_table[] = {
	{ "add", cmd_customer_add_main,
	    "add a customer to a BU's list, with its archive card",
	    "customer add --bu BU NAME [--industry T] [--region T] [--size T] "
	    "[--contacts T] [--credit-limit N] [--payment-terms T] "
	    "[--profile T] [--key-people T] [--status S] "
	    "[--revenue YEAR=AMOUNT]... [--plan YEAR=AMOUNT]... [--reason T]",
	    "Adds a customer. A name that differs only in case,\n"
	    "full-width letters or spacing from one already in the BU is\n"
	    "refused, naming the customer that has it.\n"
	    "A year's revenue that differs from the year before by more\n"
	    "than the server's volume_change_percent (default 30%) is a\n"
	    "marked change in transaction volume: it needs --reason.\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              the BU whose customer it is\n"
	    "  --industry T, --region T, --size T, --contacts T,\n"
	    "  --payment-terms T    the card's text fields\n"
	    "  --profile T          company profile and operations\n"
	    "  --key-people T       key people (decision makers)\n"
	    "  --status S           transactions: none, prospect, active,\n"
	    "                       dormant or lost\n"
	    "  --credit-limit N     in whole currency units\n"
	    "  --revenue YEAR=N     revenue of a year; repeat for more\n"
	    "  --plan YEAR=N        planned revenue of a year\n"
	    "  --reason T           why the volume changed markedly\n",
	    NULL },
	{ "update", cmd_customer_update_main,
	    "change fields of a customer's card",
	    "customer update ID [--name NAME] [--bu BU] [--industry T] "
	    "[--region T] [--size T] [--contacts T] [--credit-limit N] "
	    "[--payment-terms T] [--profile T] [--key-people T] [--status S] "
	    "[--revenue YEAR=AMOUNT]... [--plan YEAR=AMOUNT]... [--reason T] "
	    "[--if-version N]",
	    "Changes the fields given and keeps the others; the options\n"
	    "are those of customer add. --revenue YEAR= removes a year,\n"
	    "--plan YEAR= clears its plan. A year's revenue changed by\n"
	    "more than volume_change_percent against its recorded amount\n"
	    "or the year before needs --reason.\n"
	    "Refused while the customer is a candidate waiting for\n"
	    "approval.\n"
	    "\n"
	    "options:\n"
	    "  --name NAME          a new name\n"
	    "  --if-version N       refuse if the customer changed since\n"
	    "                       version N (default: the version\n"
	    "                       read just before)\n",
	    NULL },
	{ "show", cmd_customer_show_main,
	    "show a customer's card and what is missing from it",
	    "customer show ID [--offline]",
	    "Shows the card, then the visit card (the number of visits and\n"
	    "the five latest) and the open complaints.\n"
	    "\n"
	    "options:\n"
	    "  --offline            read the local copy that tier sync keeps,\n"
	    "                       not the server\n",
	    NULL },
	{ "list", cmd_customer_list_main, "list the customers you can see",
	    "customer list [--bu BU] [--search TEXT] [--grade G] "
	    "[--watch [--since SEQ | --fresh] | --offline]",
	    "Lists customers by id, with grade, owner, transaction status,\n"
	    "how complete the card is and the card fields still missing.\n"
	    "With --watch, then follows changes to the customers of the BU\n"
	    "(of every BU you can see without --bu).\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              only the customers of this BU\n"
	    "  --grade G            only grade G: potential, general, key,\n"
	    "                       strategic, or none\n"
	    "  --search TEXT        names containing TEXT (case, width\n"
	    "                       and spacing do not matter; the list "
	    "only)\n" CMD_WATCH_HELP
	    "  --offline            read the local copy that tier sync keeps,\n"
	    "                       not the server\n",
	    NULL },
	{ "grade", cmd_customer_grade_main,
	    "set a customer's grade and development owner",
	    "customer grade ID potential|general|key|strategic|none "
	    "[--owner USER] --reason TEXT [--if-version N]",
	    "Sets the grade by hand (bu_vp, segment_mgr). The final approval\n"
	    "of a candidate sets it too: the grade becomes the candidate's\n"
	    "tier and the owner its development owner. Grade none clears\n"
	    "grade and owner.\n"
	    "\n"
	    "options:\n"
	    "  --owner USER         the development owner (default: keep)\n"
	    "  --reason TEXT        why (required)\n"
	    "  --if-version N       refuse if the customer changed since\n"
	    "                       version N\n",
	    NULL },
	{ "abc", cmd_customer_abc_main, "ABC analysis of customer revenue",
	    "customer abc --year YYYY [--to-year YYYY] [--bu BU] [--a PCT] "
	    "[--b PCT]",
	    "Ranks the customers you can see by revenue (summed over the\n"
	    "years; ties by name) and classes them: A while the cumulative\n"
	    "share of the customers before is below --a percent, B while\n"
	    "below a + b percent, else C. Tied revenue takes the class of\n"
	    "the first of the tie; no revenue is C.\n"
	    "\n"
	    "options:\n"
	    "  --year YYYY          the year (the first, with --to-year)\n"
	    "  --to-year YYYY       the last year summed\n"
	    "  --bu BU              only the customers of this BU\n"
	    "  --a PCT, --b PCT     thresholds (server default 75 and 20)\n",
	    NULL },
	{ "import", cmd_customer_import_main,
	    "add customers from a CSV file, all or none",
	    "customer import FILE [--bu BU] [--dry-run] "
	    "[--encoding utf-8|gb18030]",
	    "Adds every customer of FILE, a CSV file with a header line, in\n"
	    "one transaction: if any row is refused, nothing is added and\n"
	    "the refused rows are listed with their line numbers. Each row\n"
	    "obeys the rules of customer add (duplicates within the file\n"
	    "and against the BU are refused). Columns, by header name:\n"
	    "bu, name (required), industry, region, size, contacts,\n"
	    "credit_limit, payment_terms, profile, key_people,\n"
	    "transaction_status, revenue_YYYY, plan_YYYY (whole numbers),\n"
	    "reason (for a marked change in volume, as customer add\n"
	    "--reason);\n"
	    "id, grade and owner (as export writes them) are ignored. Other\n"
	    "columns are refused. The file is UTF-8, with or without BOM.\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              the BU of every row (the bu column is\n"
	    "                       then ignored)\n"
	    "  --dry-run            check every row, change nothing\n"
	    "  --encoding gb18030   convert a GB18030 file (as Chinese\n"
	    "                       Excel saves CSV) to UTF-8 first\n",
	    NULL },
	{ "export", cmd_customer_export_main,
	    "write the customers you can see as CSV for Excel",
	    "customer export [--bu BU] [--file F]",
	    "Writes UTF-8 CSV with a BOM and CRLF line ends, with the\n"
	    "columns customer import reads (plus id, grade, owner).\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              only the customers of this BU\n"
	    "  --file F             write to F, not standard output\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_visit_table[] = {
	{ "add", cmd_visit_add_main, "record a visit to a customer",
	    "visit add CUSTOMER_ID --date YYYY-MM-DD --received-by TEXT "
	    "--content TEXT [--visitor USER] [--progress TEXT] "
	    "[--next YYYY-MM-DD]",
	    "Records a visit on the customer's visit card. The date may not\n"
	    "be after today; the next planned visit must come after it.\n"
	    "Needs the account_mgr, segment_mgr or bu_vp role and the\n"
	    "customer's BU in your scope.\n"
	    "\n"
	    "options:\n"
	    "  --date D             the day of the visit (YYYY-MM-DD)\n"
	    "  --visitor USER       who visited (default: you); must see the\n"
	    "                       customer's BU\n"
	    "  --received-by TEXT   who received the visit\n"
	    "  --content TEXT       what was discussed\n"
	    "  --progress TEXT      deal progress\n"
	    "  --next D             the next planned visit\n",
	    NULL },
	{ "list", cmd_visit_list_main, "list visits, newest first",
	    "visit list [--customer ID] [--visitor USER] [--from D] [--to D] "
	    "[--limit N]",
	    "Lists the visits to customers of the BUs you can see, newest\n"
	    "first.\n"
	    "\n"
	    "options:\n"
	    "  --customer ID        only visits to this customer\n"
	    "  --visitor USER       only visits by this user\n"
	    "  --from D, --to D     only visits in this period (YYYY-MM-DD,\n"
	    "                       both days included)\n"
	    "  --limit N            at most N visits (default 100, at most\n"
	    "                       1000)\n",
	    NULL },
	{ "plan", cmd_visit_plan_main,
	    "the revisit plan: targets by owner, with the visit due",
	    "visit plan [--owner USER] [--bu BU]",
	    "Lists the targets (customers with an approved candidate in an\n"
	    "open, closed or reviewed cycle) by owner, then by the date a "
	    "visit is\n"
	    "due: the next planned visit, or the last visit (else the day\n"
	    "of approval) plus the cycle's visit limit, whichever is\n"
	    "earlier. STATUS is overdue (no visit for longer than the limit),\n"
	    "due (the due date has come) or ok.\n"
	    "\n"
	    "options:\n"
	    "  --owner USER         only this owner's targets\n"
	    "  --bu BU              only targets of this BU\n",
	    NULL },
	{ "overdue", cmd_visit_overdue_main,
	    "targets not visited for longer than the limit",
	    "visit overdue [--bu BU] [--owner USER]",
	    "Lists the targets whose last visit (or, never visited, whose\n"
	    "approval) is older than the visit limit of their cycle's policy\n"
	    "(90 days unless set), most overdue first. tierd also announces\n"
	    "each such target once per overdue period as a\n"
	    "customer.visit_overdue change, naming the owner.\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              only targets of this BU\n"
	    "  --owner USER         only this owner's targets\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_complaint_table[] = {
	{ "add", cmd_complaint_add_main, "open a complaint of a customer",
	    "complaint add CUSTOMER_ID --category "
	    "quality|service|price|delivery|other --description TEXT "
	    "[--date YYYY-MM-DD] [--handling TEXT]",
	    "Opens a complaint on the customer's complaint card. Needs the\n"
	    "account_mgr, segment_mgr or bu_vp role and the customer's BU\n"
	    "in your scope.\n"
	    "\n"
	    "options:\n"
	    "  --category C         quality (product quality), service,\n"
	    "                       price, delivery or other\n"
	    "  --description TEXT   what the customer complained about\n"
	    "  --date D             the day it was received (default today;\n"
	    "                       not after today)\n"
	    "  --handling TEXT      the first handling\n",
	    NULL },
	{ "resolve", cmd_complaint_resolve_main,
	    "resolve an open complaint (final)",
	    "complaint resolve ID --resolution TEXT [--handling TEXT]",
	    "Moves an open complaint to resolved. Resolved is final: a\n"
	    "second resolve is refused (exit 8); record a recurrence as a\n"
	    "new complaint.\n"
	    "\n"
	    "options:\n"
	    "  --resolution TEXT    how it was resolved\n"
	    "  --handling TEXT      replaces the recorded handling\n",
	    NULL },
	{ "list", cmd_complaint_list_main, "list complaints, newest first",
	    "complaint list [--customer ID] [--open] [--category C] [--bu BU] "
	    "[--limit N] [--watch [--since SEQ | --fresh]]",
	    "Lists the complaints of customers of the BUs you can see,\n"
	    "newest first.\n"
	    "\n"
	    "options:\n"
	    "  --customer ID        only this customer's\n"
	    "  --open               only open ones\n"
	    "  --category C         only this category\n"
	    "  --bu BU              only customers of this BU\n"
	    "  --limit N            at most N (default 100, at most "
	    "1000)\n" CMD_WATCH_HELP,
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_inquiry_table[] = {
	{ "add", cmd_inquiry_add_main, "log an inbound inquiry",
	    "inquiry add --bu BU [--segment NAME] --channel CHANNEL "
	    "--caller TEXT --company TEXT --request TEXT [--handling TEXT] "
	    "[--date YYYY-MM-DD]",
	    "Logs an inquiry that came to the BU: who called, for which\n"
	    "company, what they asked for and how it was first handled. It\n"
	    "stays open until the marketing head decides on it. Needs the\n"
	    "account_mgr, segment_mgr, marketing_head or bu_vp role, the BU\n"
	    "(and the segment, if given) in scope.\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              the BU the inquiry came to\n"
	    "  --segment NAME       the segment it concerns, if known\n"
	    "  --channel CHANNEL    phone, mail, web, visit, fair or other\n"
	    "  --caller TEXT        who called: name, function, phone\n"
	    "  --company TEXT       the caller's company\n"
	    "  --request TEXT       what they asked for\n"
	    "  --handling TEXT      the first handling\n"
	    "  --date YYYY-MM-DD    the day it came in (default: today)\n",
	    NULL },
	{ "list", cmd_inquiry_list_main, "list inquiries, last logged first",
	    "inquiry list [--bu BU] [--month YYYY-MM] [--open]",
	    "Lists the inquiries of the BUs you can see, last logged first,\n"
	    "with their outcome (open, promoted, served, declined).\n"
	    "\n"
	    "options:\n"
	    "  --bu BU              only this BU\n"
	    "  --month YYYY-MM      only those received in this month\n"
	    "  --open               only those not yet decided\n",
	    NULL },
	{ "show", cmd_inquiry_show_main,
	    "show an inquiry and the decision on it", "inquiry show ID", NULL,
	    NULL },
	{ "summary", cmd_inquiry_summary_main,
	    "count a month's inquiries by segment, channel and outcome",
	    "inquiry summary --bu BU --month YYYY-MM",
	    "The monthly summary of the BU's inquiries, as one table: BY\n"
	    "says whether a row counts a segment, a channel or an outcome;\n"
	    "the last row is the total.\n",
	    NULL },
	{ "promote", cmd_inquiry_promote_main,
	    "make an inquiry's company a candidate of the open cycle",
	    "inquiry promote ID [--segment NAME] [--customer ID]",
	    "Proposes the inquiry's company as a candidate of the BU's open\n"
	    "cycle, as candidate propose does; the candidate shows the\n"
	    "inquiry it came from. The customer is --customer ID, else the\n"
	    "BU's customer named like the company, else a new customer by\n"
	    "that name. Needs the marketing_head role for the whole BU; each\n"
	    "inquiry is decided once.\n"
	    "\n"
	    "options:\n"
	    "  --segment NAME       the candidate's segment (default: the\n"
	    "                       inquiry's)\n"
	    "  --customer ID        an existing customer of the BU\n",
	    NULL },
	{ "serve", cmd_inquiry_serve_main,
	    "serve an inquiry's company as a general customer",
	    "inquiry serve ID [--customer ID] [--note TEXT]",
	    "Decides that the company is served as a general customer: the\n"
	    "customer (found or created as for promote) gets grade general\n"
	    "unless it already has a higher one. Needs the marketing_head\n"
	    "role for the whole BU.\n",
	    NULL },
	{ "decline", cmd_inquiry_decline_main,
	    "decline an inquiry, with a reason",
	    "inquiry decline ID --reason TEXT",
	    "Declines the inquiry; the reason is required and recorded.\n"
	    "Needs the marketing_head role for the whole BU.\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct cmd_entry cmd_delegate_table[] = {
	{ "add", cmd_delegate_add_main,
	    "let a deputy decide your approval steps for some days",
	    "delegate add DEPUTY --from YYYY-MM-DD --until YYYY-MM-DD",
	    "From the start of --from to the end of --until (UTC days,\n"
	    "both included, at most 366 days) DEPUTY may decide the steps\n"
	    "waiting for you, with your role and scope. Nobody approves\n"
	    "what they proposed or submitted, deputies included. Needs\n"
	    "the bu_vp or bg_vp role.\n",
	    NULL },
	{ "list", cmd_delegate_list_main,
	    "list the delegations you gave or received", "delegate list",
	    "Lists the delegations you gave or received (every one for\n"
	    "admin and auditor): upcoming, active or ended.\n",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct cmd_entry cmd_table[] = {
	{ "status", cmd_status_main,
	    "show the server, the secure channel and who you are", "status",
	    "Shows the server's name, version and protocol, the Noise channel\n"
	    "and how the server's key was verified, uptime, open connections,\n"
	    "the store, and the user this client is enrolled as.\n",
	    NULL },
	{ "whoami", cmd_whoami_main,
	    "show the user this client's key is enrolled as", "whoami", NULL,
	    NULL },
	{ "enroll", cmd_enroll_main,
	    "bind this client's key to a user with an enrolment code",
	    "enroll CODE",
	    "Creates this client's key if it has none, connects, and redeems\n"
	    "CODE (as printed by 'tier user add' or 'tier user code'; dashes\n"
	    "and case do not matter). On success the server address is saved\n"
	    "in the config file when none is configured there yet, so later\n"
	    "commands need no --server.\n",
	    NULL },
	{ "key", cmd_key_main,
	    "show this client's key and fingerprint (made if missing)", "key",
	    "Prints the path and fingerprint of this client's identity key,\n"
	    "creating the key (mode 0600) if there is none. The fingerprint\n"
	    "is what an administrator sees for this client.\n",
	    NULL },
	{ "user", cmd_dispatch_child, "manage users: add, code, list",
	    "user add|code|list ...", NULL, cmd_user_table },
	{ "org", cmd_dispatch_child, "manage the organisation: add, list",
	    "org add|list ...", NULL, cmd_org_table },
	{ "cycle", cmd_dispatch_child,
	    "plan a BU's year: create, list, show, set, open, close, derive",
	    "cycle create|list|show|set|open|close|derive ...", NULL,
	    cmd_cycle_table },
	{ "criteria", cmd_dispatch_child,
	    "define and review a cycle's weighted criteria: set, show",
	    "criteria set|show ...", NULL, cmd_criteria_table },
	{ "customer", cmd_dispatch_child,
	    "keep customers and their cards: add, update, show, list, "
	    "grade, abc",
	    "customer add|update|show|list|grade|abc|import|export ...", NULL,
	    cmd_customer_table },
	{ "visit", cmd_dispatch_child,
	    "the visit card and the revisit plan: add, list, plan, overdue",
	    "visit add|list|plan|overdue ...", NULL, cmd_visit_table },
	{ "complaint", cmd_dispatch_child,
	    "the complaint card: add, resolve, list",
	    "complaint add|resolve|list ...", NULL, cmd_complaint_table },
	{ "candidate", cmd_dispatch_child,
	    "propose, score, submit and decide candidates; show, list",
	    "candidate propose|score|submit|approve|reject|return|withdraw|"
	    "reopen|show|explain|list|import|export ...",
	    NULL, cmd_candidate_table },
	{ "score", cmd_dispatch_child,
	    "score candidates in bulk from CSV: import, export",
	    "score import|export ...", NULL, cmd_score_table },
	{ "queue", cmd_queue_main,
	    "show what waits for your approval, oldest first",
	    "queue [--watch [--since SEQ | --fresh]]",
	    "Lists the pending candidates whose current step you may decide\n"
	    "(or the approver you stand in for), oldest first, with how long\n"
	    "they have waited and whether the cycle's step limit is passed.\n"
	    "With --watch, then follows candidates entering or leaving your\n"
	    "queue, and escalations addressed to your role.\n"
	    "\n"
	    "options:\n" CMD_WATCH_HELP,
	    NULL },
	{ "top", cmd_top_main,
	    "a live view of the approval queues in your scope", "top",
	    "Shows every pending candidate you can see, grouped by the\n"
	    "approver role it waits for and by segment, with how long it has\n"
	    "waited, and keeps it current as changes are committed. Flags:\n"
	    "'*' changed just now, '!' overdue (past the cycle's step limit,\n"
	    "or escalated), '>' yours to decide.\n"
	    "\n"
	    "keys:\n"
	    "  Up, Down, j, k       select a candidate (PgUp, PgDn, g, G)\n"
	    "  Enter                show the selected candidate in full\n"
	    "  a                    approve it (y confirms)\n"
	    "  r, t                 reject it, return it: asks for a reason\n"
	    "  /                    show only rows containing some text\n"
	    "  s                    sort by age, score, customer or id\n"
	    "  q                    quit (also Ctrl-C)\n"
	    "\n"
	    "When the connection drops, the last line says so and tier top\n"
	    "reconnects by itself, then loads everything afresh.\n",
	    NULL },
	{ "targets", cmd_targets_main,
	    "show a cycle's approved target list by tier, with owners",
	    "targets --cycle ID", NULL, NULL },
	{ "funnel", cmd_funnel_main,
	    "candidates per segment and state, against quotas",
	    "funnel --cycle ID",
	    "Per segment you can see: the quota, candidates proposed (with\n"
	    "progress against the quota), scored, submitted, approved,\n"
	    "rejected and withdrawn.\n",
	    NULL },
	{ "inquiry", cmd_dispatch_child,
	    "inbound inquiries: add, list, show, summary, promote, serve, "
	    "decline",
	    "inquiry add|list|show|summary|promote|serve|decline ...", NULL,
	    cmd_inquiry_table },
	{ "review", cmd_review_main,
	    "the annual review of a closed cycle, per tier and segment",
	    "review --cycle ID",
	    "What the targets of a closed cycle delivered, per tier and\n"
	    "segment: targets, visits to them and complaints of theirs in\n"
	    "the cycle's year, revenue against plan of that year, and how\n"
	    "many came from inquiries; then the totals. Needs the bu_vp,\n"
	    "bg_vp, marketing_head or auditor role with the whole BU in\n"
	    "scope.\n",
	    NULL },
	{ "delegate", cmd_dispatch_child,
	    "let a deputy decide your approvals for a while: add, list",
	    "delegate add|list ...", NULL, cmd_delegate_table },
	{ "audit", cmd_dispatch_child, "read the audit log: show, verify",
	    "audit show|verify ...", NULL, cmd_audit_table },
	{ "sync", cmd_sync_main,
	    "update the local copy that --offline commands read",
	    "sync [--full | --status]",
	    "Brings the local read-only copy of what you may see (cycles,\n"
	    "customers, candidates) up to date: the first time by listing\n"
	    "everything, later by reading only the changes since the last\n"
	    "sync (a single request when nothing changed). With --offline,\n"
	    "candidate, customer and cycle list and show then read the copy\n"
	    "without the server, saying how old it is. The copy is\n"
	    "$XDG_DATA_HOME/tier/HOST_PORT.db (~/.local/share/tier; env\n"
	    "TIER_DATA_DIR replaces the directory), readable by you only.\n"
	    "\n"
	    "options:\n"
	    "  --full               copy everything again\n"
	    "  --status             describe the copy; no connection\n",
	    NULL },
	{ "help", cmd_help_main, "show help for a command, or the exit codes",
	    "help [COMMAND [SUBCOMMAND] | exit-codes]", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const char cmd_options_help[] =
    "options (before or after the command):\n"
    "  --server HOST:PORT   server address; [::1]:7433 for IPv6\n"
    "                       (env TIER_SERVER, config [client] server)\n"
    "  --output FORMAT      table, json or csv (env TIER_OUTPUT, config\n"
    "                       [client] output; default table)\n"
    "  --config-dir DIR     configuration directory (env TIER_CONFIG_DIR;\n"
    "                       default $XDG_CONFIG_HOME/tier or "
    "~/.config/tier)\n"
    "  --request-id ID      idempotency key of a change (default: random);\n"
    "                       repeat it to retry a change safely\n"
    "  -h, --help           show help\n"
    "  -V, --version        show the version\n";

const struct cmd_entry *
cmd_lookup(const struct cmd_entry *table, const char *name)
{
	for (; table != NULL && table->name != NULL; table++) {
		if (strcmp(table->name, name) == 0)
			return table;
	}
	return NULL;
}

void
cmd_print_overview(FILE *f)
{
	const struct cmd_entry *e, *k;
	char name[64];
	size_t width = 0;
	int pass;

	fprintf(f,
	    "usage: tier [OPTIONS] COMMAND [ARGS]\n"
	    "\n"
	    "The client of a tierd server. Connections are encrypted "
	    "and both ends\n"
	    "authenticated (%s).\n"
	    "\n"
	    "commands:\n",
	    NOISE_TIER_PROTOCOL);
	/* Two passes: the widest "command subcommand" sets the column. */
	for (pass = 0; pass < 2; pass++) {
		for (e = cmd_table; e->name != NULL; e++) {
			for (k = e->children ? e->children : e; k->name != NULL;
			     k++) {
				if (k == e)
					snprintf(
					    name, sizeof(name), "%s", e->name);
				else
					snprintf(name, sizeof(name), "%s %s",
					    e->name, k->name);
				if (pass == 0 && strlen(name) > width)
					width = strlen(name);
				if (pass == 1)
					fprintf(f, "  %-*s  %s\n", (int)width,
					    name, k->summary);
				if (k == e)
					break;
			}
		}
	}
	fprintf(f, "\n%s\n", cmd_options_help);
	fprintf(f, "See 'tier help COMMAND' for a command's options and "
		   "'tier help exit-codes'\nfor exit statuses.\n");
}

int
cmd_print_help(FILE *f, const struct cmd_entry *e)
{
	const struct cmd_entry *k;
	const char *lead = "usage:";
	size_t width = 0;

	if (e->children != NULL) {
		for (k = e->children; k->name != NULL; k++) {
			fprintf(f, "%s tier %s\n", lead, k->usage);
			lead = "      ";
		}
		for (k = e->children; k->name != NULL; k++)
			if (strlen(k->name) > width)
				width = strlen(k->name);
		fprintf(f, "\ncommands:\n");
		for (k = e->children; k->name != NULL; k++)
			fprintf(
			    f, "  %-*s  %s\n", (int)width, k->name, k->summary);
		fprintf(f,
		    "\nSee 'tier help %s COMMAND' for the options of "
		    "each.\n",
		    e->name);
		return EXIT_OK;
	}
	fprintf(f, "usage: tier %s\n\n%s.\n", e->usage, e->summary);
	if (e->help != NULL)
		fprintf(f, "\n%s", e->help);
	return EXIT_OK;
}

static void
cmd_print_exit_codes(FILE *f)
{
	size_t i;

	fprintf(f, "tier exits with one of these statuses:\n\n");
	for (i = 0; i < output_nexits; i++)
		fprintf(f, "  %2d  %s\n", output_exits[i].code,
		    output_exits[i].meaning);
}

int
cmd_help_topic(FILE *f, int n, char **words)
{
	const struct cmd_entry *e, *k;

	if (n == 0) {
		cmd_print_overview(f);
		return EXIT_OK;
	}
	if (strcmp(words[0], "exit-codes") == 0) {
		if (n > 1) {
			output_error(NULL, "help exit-codes takes no argument");
			return EXIT_USAGE;
		}
		cmd_print_exit_codes(f);
		return EXIT_OK;
	}
	if ((e = cmd_lookup(cmd_table, words[0])) == NULL) {
		output_error(
		    NULL, "unknown command '%s'; see tier --help", words[0]);
		return EXIT_USAGE;
	}
	if (n == 1)
		return cmd_print_help(f, e);
	if (n == 2 && (k = cmd_lookup(e->children, words[1])) != NULL)
		return cmd_print_help(f, k);
	if (n > 2 || (n == 2 && e->children == NULL)) {
		output_error(NULL,
		    "help takes a command and at most one "
		    "subcommand; see tier help %s",
		    words[0]);
		return EXIT_USAGE;
	}
	output_error(NULL, "unknown command '%s %s'; see tier help %s",
	    words[0], words[1], words[0]);
	return EXIT_USAGE;
}

int
cmd_usage_error(const struct cmd_entry *self, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tier: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: tier %s\n", self->usage);
	return EXIT_USAGE;
}

int
cmd_option(const struct cmd_entry *self, int ch, char **argv, struct cfg *c)
{
	const char *opt = argv[optind - 1];

	switch (ch) {
	case CMD_OPT_SERVER:
		c->flag_server = optarg;
		return 0;
	case CMD_OPT_OUTPUT:
		c->flag_output = optarg;
		return 0;
	case CMD_OPT_CONFIG_DIR:
		c->flag_config_dir = optarg;
		return 0;
	case CMD_OPT_REQUEST_ID:
		c->flag_request_id = optarg;
		return 0;
	case ':':
		if (optopt != 0 && optopt < 0x100)
			return cmd_usage_error(
			    self, "option '-%c' needs a value", optopt);
		return cmd_usage_error(self, "option '%s' needs a value", opt);
	case '?':
		if (optopt != 0)
			return cmd_usage_error(
			    self, "unknown option '-%c'", optopt);
		return cmd_usage_error(self, "unknown option '%s'", opt);
	default:
		return cmd_usage_error(self, "unexpected option '%s'", opt);
	}
}

int
cmd_configure(struct cfg *c)
{
	switch (cfg_load(c)) {
	case 0:
		output_mode_set(c->output);
		return 0;
	case ERR_CONFIG:
		return EXIT_USAGE;
	case ERR_ALLOC:
		output_error(NULL, "out of memory");
		return EXIT_OTHER;
	default:
		return EXIT_OTHER;
	}
}

int
cmd_parse_plain(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, int min, int max)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cmd_print_help(stdout, self);
		if ((r = cmd_option(self, ch, argv, c)) != 0)
			return r;
	}
	if (argc - optind < min)
		return cmd_usage_error(self, "missing an argument");
	if (argc - optind > max)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind + max]);
	if ((r = cmd_configure(c)) != 0)
		return r;
	return CMD_CONTINUE;
}

int
cmd_call(const struct cfg *c, struct conn **conn, Tier__Request *req,
    Tier__Response **resp)
{
	int r;

	if (*conn == NULL && (r = conn_connect(conn, c)) != 0)
		return r;
	return conn_call(*conn, req, resp);
}

int
cmd_dispatch_child(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	const struct cmd_entry *k;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cmd_print_help(stdout, self);
		if ((r = cmd_option(self, ch, argv, c)) != 0)
			return r;
	}
	if (optind == argc) {
		fflush(stdout);
		fprintf(
		    stderr, "tier: error: '%s' needs a command\n", self->name);
		cmd_print_help(stderr, self);
		return EXIT_USAGE;
	}
	if ((k = cmd_lookup(self->children, argv[optind])) == NULL) {
		output_error(NULL, "unknown command '%s %s'; see tier help %s",
		    self->name, argv[optind], self->name);
		return EXIT_USAGE;
	}
	return k->main(k, argc - optind, argv + optind, c);
}

int
cmd_help_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cmd_print_help(stdout, self);
		if ((r = cmd_option(self, ch, argv, c)) != 0)
			return r;
	}
	return cmd_help_topic(stdout, argc - optind, argv + optind);
}
