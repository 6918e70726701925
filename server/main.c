/*
 * tierd's entry point: command-line flags over the configuration file over
 * built-in defaults, then either the one-shot --init-admin or the daemon.
 */
#include "tierd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tierd [options]\n"
	    "       tierd [options] --init-admin NAME\n"
	    "       tierd [options] --backup FILE\n"
	    "\n"
	    "The tier daemon: owns the database and serves tier clients over\n"
	    "Noise-encrypted connections.\n"
	    "\n"
	    "options (each overrides the configuration file):\n"
	    "  -c, --config FILE      INI configuration file\n"
	    "  -l, --listen HOST:PORT address to listen on (default "
	    "127.0.0.1:7433;\n"
	    "                         port 0 picks a free port, logged at "
	    "start)\n"
	    "  -d, --datadir DIR      data directory: tier.db and server.key\n"
	    "                         (default /var/lib/tierd)\n"
	    "  -n, --name NAME        server name shown to clients\n"
	    "  -L, --log-level LEVEL  error, warn, info or debug (default "
	    "info)\n"
	    "      --init-admin NAME  create administrator NAME (or renew its\n"
	    "                         enrolment code), print the code and "
	    "exit\n"
	    "      --backup FILE      copy the database to the new FILE, "
	    "also\n"
	    "                         while tierd runs: one consistent "
	    "moment,\n"
	    "                         checked and synced, then exit\n"
	    "  -h, --help             show this help\n"
	    "  -V, --version          show the version\n"
	    "\n"
	    "signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the\n"
	    "configuration file. See tierd(8).\n");
}

/* --backup FILE: exits 0 when FILE holds a checked copy, else 1. */
static int
main_backup(struct server *srv, const char *dest)
{
	struct store_backup_info info;
	char path[PATH_MAX + 16], why[1024];

	server_path(srv, "tier.db", path, sizeof(path));
	if (store_backup(path, dest, &info, why, sizeof(why)) != 0) {
		fprintf(stderr, "tierd: --backup: %s\n", why);
		return 1;
	}
	printf("backup of %s written to %s: %lld pages, %.1f MiB, schema %d, "
	       "audit entries up to %lld, integrity ok\n",
	    path, dest, (long long)info.pages,
	    (double)info.bytes / (1024.0 * 1024.0), info.schema_version,
	    (long long)info.audit_head);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "datadir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "init-admin", required_argument, NULL, 'A' },
		{ "backup", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* Flags are applied after the file, so they are collected first. */
	struct {
		const char *key;
		const char *value;
	} flags[8];
	struct server srv;
	const char *config_path = NULL, *init_admin = NULL, *backup = NULL;
	char why[1024], code[ENROL_CODE_SIZE], when[32];
	int64_t expires_at;
	size_t nflags = 0, i;
	struct tm tm;
	time_t t;
	int c, r;

	/* The key, database and WAL are nobody else's business. */
	umask(077);
	memset(&srv, 0, sizeof(srv));
	config_defaults(&srv.cfg);
	log_init("tierd", LOG_LEVEL_INFO);
	while (
	    (c = getopt_long(argc, argv, "c:l:d:n:L:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'l':
			flags[nflags].key = "listen";
			flags[nflags++].value = optarg;
			break;
		case 'd':
			flags[nflags].key = "datadir";
			flags[nflags++].value = optarg;
			break;
		case 'n':
			flags[nflags].key = "name";
			flags[nflags++].value = optarg;
			break;
		case 'L':
			flags[nflags].key = "log-level";
			flags[nflags++].value = optarg;
			break;
		case 'A':
			init_admin = optarg;
			break;
		case 'B':
			backup = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tierd %s (protocol %d)\n", TIER_VERSION,
			    MSG_PROTOCOL_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (nflags == sizeof(flags) / sizeof(flags[0])) {
			fprintf(stderr, "tierd: too many flags\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tierd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}

	if (config_path != NULL) {
		if (config_load(&srv.cfg, config_path, why, sizeof(why)) != 0) {
			fprintf(stderr, "tierd: %s\n", why);
			return 2;
		}
		snprintf(srv.config_path, sizeof(srv.config_path), "%s",
		    config_path);
	}
	for (i = 0; i < nflags; i++) {
		const char *section =
		    strcmp(flags[i].key, "log-level") == 0 ? "log" : "server";
		const char *key = strcmp(flags[i].key, "log-level") == 0
				      ? "level"
				      : flags[i].key;
		if (config_set(&srv.cfg, section, key, flags[i].value, why,
			sizeof(why)) != 0) {
			fprintf(stderr, "tierd: --%s: %s\n", flags[i].key, why);
			return 2;
		}
	}
	log_init("tierd", srv.cfg.log_level);

	if (init_admin != NULL && backup != NULL) {
		fprintf(stderr, "tierd: --init-admin and --backup are two "
				"runs: give one of them\n");
		return 2;
	}
	if (backup != NULL)
		return main_backup(&srv, backup);
	if (init_admin != NULL) {
		r = server_init_admin(&srv, init_admin, code, sizeof(code),
		    &expires_at, why, sizeof(why));
		if (r != 0) {
			fprintf(stderr, "tierd: --init-admin: %s\n", why);
			server_free(&srv);
			return 1;
		}
		t = (time_t)expires_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("enrolment code for %s: %s (expires %s)\n", init_admin,
		    code, when);
		server_free(&srv);
		return 0;
	}

	if ((r = server_init(&srv)) != 0) {
		server_free(&srv);
		return 1;
	}
	r = server_run(&srv);
	server_free(&srv);
	return r == 0 ? 0 : 1;
}
