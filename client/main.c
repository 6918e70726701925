/*
 * tier's entry point: the global options that may precede the command, then
 * dispatch through the subcommand table in cmd.c. Everything else lives in
 * the client library so the tests can reach it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "tier.h"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, CMD_OPT_SERVER },
		{ "output", required_argument, NULL, CMD_OPT_OUTPUT },
		{ "config-dir", required_argument, NULL, CMD_OPT_CONFIG_DIR },
		{ "request-id", required_argument, NULL, CMD_OPT_REQUEST_ID },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* Stands in for a row when an option error precedes the command. */
	static const struct cmd_entry top = { "tier", NULL, "",
		"[OPTIONS] COMMAND [ARGS]", NULL, NULL };
	const struct cmd_entry *e;
	struct cfg c;
	int ch, r;

	memset(&c, 0, sizeof(c));
	output_locale_init();
	if (sodium_init() < 0) {
		output_error(NULL, "libsodium failed to initialise");
		return EXIT_OTHER;
	}
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_overview(stdout);
			return EXIT_OK;
		case 'V':
			printf("tier %s (protocol %d, %s)\n", MSG_VERSION,
			    MSG_PROTOCOL_VERSION, NOISE_TIER_PROTOCOL);
			return EXIT_OK;
		default:
			if ((r = cmd_option(&top, ch, argv, &c)) != 0)
				return r;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "tier: error: no command given\n");
		cmd_print_overview(stderr);
		return EXIT_USAGE;
	}
	if ((e = cmd_lookup(cmd_table, argv[optind])) == NULL) {
		fprintf(stderr,
		    "tier: error: unknown command '%s'; see tier --help\n",
		    argv[optind]);
		return EXIT_USAGE;
	}
	r = e->main(e, argc - optind, argv + optind, &c);
	cfg_free(&c);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		output_error(
		    NULL, "cannot write the output: %s", strerror(errno));
		if (r == EXIT_OK)
			r = EXIT_OTHER;
	}
	return r;
}
