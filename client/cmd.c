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
	    "issue a new enrolment code for a user (lost key, new machine)",
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
	    "audit show candidate|customer|cycle ID",
	    "Lists every audited change of the record, oldest first: when,\n"
	    "who, the action, the reason given and the fields it changed\n"
	    "(--output json adds the full before and after records and each\n"
	    "entry's chain hash). Anyone who can see the record may ask.\n",
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
	{ "user", cmd_dispatch_child, "manage users: add, code, list",
	    "user add|code|list ...", NULL, cmd_user_table },
	{ "key", cmd_key_main,
	    "show this client's key and fingerprint (made if missing)", "key",
	    "Prints the path and fingerprint of this client's identity key,\n"
	    "creating the key (mode 0600) if there is none. The fingerprint\n"
	    "is what an administrator sees for this client.\n",
	    NULL },
	{ "audit", cmd_dispatch_child, "read the audit log: show, verify",
	    "audit show|verify ...", NULL, cmd_audit_table },
	{ "help", cmd_help_main, "show help for a command, or the exit codes",
	    "help [COMMAND [SUBCOMMAND] | exit-codes]", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static const char cmd_options_help[] =
    "options (before or after the command):\n"
    "  --server HOST:PORT   server address; [::1]:7433 for IPv6\n"
    "                       (env TIER_SERVER, config [client] server)\n"
    "  --output table|json  output format (env TIER_OUTPUT, config\n"
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

	fprintf(f,
	    "usage: tier [OPTIONS] COMMAND [ARGS]\n"
	    "\n"
	    "The client of a tierd server. Connections are encrypted "
	    "and both ends\n"
	    "authenticated (%s).\n"
	    "\n"
	    "commands:\n",
	    NOISE_TIER_PROTOCOL);
	for (e = cmd_table; e->name != NULL; e++) {
		if (e->children == NULL) {
			fprintf(f, "  %-12s %s\n", e->name, e->summary);
			continue;
		}
		for (k = e->children; k->name != NULL; k++) {
			snprintf(name, sizeof(name), "%s %s", e->name, k->name);
			fprintf(f, "  %-12s %s\n", name, k->summary);
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

	if (e->children != NULL) {
		for (k = e->children; k->name != NULL; k++) {
			fprintf(f, "%s tier %s\n", lead, k->usage);
			lead = "      ";
		}
		fprintf(f, "\ncommands:\n");
		for (k = e->children; k->name != NULL; k++)
			fprintf(f, "  %-6s %s\n", k->name, k->summary);
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
