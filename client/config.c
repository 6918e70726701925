/*
 * The client's configuration: which directory holds its files, and the
 * settings resolved from defaults, the INI file, the environment and flags,
 * in that order of precedence. Also the small file helpers (whole-file read,
 * atomic replace) that known.c shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "err.h"
#include "tier.h"

/* What the INI handler needs: the configuration and the first problem. */
struct cfg_ini {
	struct cfg *c;    /* being filled */
	int failed;       /* set when a value was refused */
	char why[256];    /* the refused value, for the message */
	int alloc_failed; /* set when memory ran out */
};

static char *
cfg_join(const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return p;
}

/* Non-empty environment variable or NULL. */
static const char *
cfg_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
cfg_resolve_dir(struct cfg *c)
{
	const char *v;
	struct passwd *pw;

	if (c->flag_config_dir != NULL && *c->flag_config_dir != '\0')
		c->dir = strdup(c->flag_config_dir);
	else if ((v = cfg_env("TIER_CONFIG_DIR")) != NULL)
		c->dir = strdup(v);
	else if ((v = cfg_env("XDG_CONFIG_HOME")) != NULL && v[0] == '/')
		c->dir = cfg_join(v, "tier");
	else if ((v = cfg_env("HOME")) != NULL)
		c->dir = cfg_join(v, ".config/tier");
	else if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL)
		c->dir = cfg_join(pw->pw_dir, ".config/tier");
	else {
		output_error("set TIER_CONFIG_DIR or use --config-dir DIR",
		    "cannot find a home directory for the configuration");
		return ERR_CONFIG;
	}
	return c->dir == NULL ? ERR_ALLOC : 0;
}

static int
cfg_set_string(char **slot, const char *value)
{
	char *p;

	if ((p = strdup(value)) == NULL)
		return ERR_ALLOC;
	free(*slot);
	*slot = p;
	return 0;
}

/* Expands a leading "~/" and makes a relative path relative to base. */
static char *
cfg_path(const char *base, const char *value)
{
	const char *home;

	if (value[0] == '~' && value[1] == '/' &&
	    (home = cfg_env("HOME")) != NULL)
		return cfg_join(home, value + 2);
	if (value[0] == '/')
		return strdup(value);
	return cfg_join(base, value);
}

static int
cfg_ini_handler(
    void *user, const char *section, const char *name, const char *value)
{
	struct cfg_ini *ini = user;
	struct cfg *c = ini->c;
	char *p;

	if (strcmp(section, "client") != 0)
		return 1; /* other sections belong to other programs */
	if (strcmp(name, "server") == 0) {
		if (*value == '\0')
			return 1;
		if (cfg_set_string(&c->server, value) != 0)
			goto nomem;
		c->server_in_file = 1;
		c->server_from = "the config file";
	} else if (strcmp(name, "output") == 0) {
		if (cfg_output_parse(value, &c->output) != 0) {
			snprintf(ini->why, sizeof(ini->why),
			    "output must be table, json or csv, not '%s'",
			    value);
			ini->failed = 1;
			return 0;
		}
	} else if (strcmp(name, "key") == 0) {
		if (*value == '\0')
			return 1;
		if ((p = cfg_path(c->dir, value)) == NULL)
			goto nomem;
		free(c->key_path);
		c->key_path = p;
	} else
		output_warn("%s: unknown setting '%s' in [client] ignored",
		    c->file, name);
	return 1;
nomem:
	ini->alloc_failed = 1;
	return 0;
}

static int
cfg_read_ini(struct cfg *c)
{
	struct cfg_ini ini;
	FILE *f;
	int line;

	memset(&ini, 0, sizeof(ini));
	ini.c = c;
	if ((f = fopen(c->file, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		output_error(
		    NULL, "cannot read %s: %s", c->file, strerror(errno));
		return ERR_SYSTEM;
	}
	line = ini_parse_file(f, cfg_ini_handler, &ini);
	fclose(f);
	if (ini.alloc_failed)
		return ERR_ALLOC;
	if (line != 0) {
		output_error("settings look like: [client] then server = "
			     "HOST:PORT, output = table|json|csv",
		    "%s:%d: %s", c->file, line,
		    ini.failed ? ini.why : "not a valid line");
		return ERR_CONFIG;
	}
	return 0;
}

int
cfg_output_parse(const char *text, enum cfg_output *out)
{
	if (strcmp(text, "table") == 0)
		*out = CFG_OUTPUT_TABLE;
	else if (strcmp(text, "json") == 0)
		*out = CFG_OUTPUT_JSON;
	else if (strcmp(text, "csv") == 0)
		*out = CFG_OUTPUT_CSV;
	else
		return ERR_INVALID_ARG;
	return 0;
}

int
cfg_load(struct cfg *c)
{
	const char *v;
	int r;

	cfg_free(c);
	c->output = CFG_OUTPUT_TABLE;
	if ((r = cfg_resolve_dir(c)) != 0)
		return r;
	if ((c->file = cfg_join(c->dir, "config")) == NULL ||
	    (c->known_path = cfg_join(c->dir, "known_servers")) == NULL ||
	    (c->key_path = cfg_join(c->dir, "id_x25519")) == NULL)
		return ERR_ALLOC;
	if ((r = cfg_read_ini(c)) != 0)
		return r;

	if ((v = cfg_env("TIER_SERVER")) != NULL) {
		if ((r = cfg_set_string(&c->server, v)) != 0)
			return r;
		c->server_from = "TIER_SERVER";
	}
	if ((v = cfg_env("TIER_OUTPUT")) != NULL &&
	    cfg_output_parse(v, &c->output) != 0) {
		output_error(NULL,
		    "TIER_OUTPUT must be table, json or csv, not '%s'", v);
		return ERR_CONFIG;
	}

	if (c->flag_server != NULL) {
		if ((r = cfg_set_string(&c->server, c->flag_server)) != 0)
			return r;
		c->server_from = "--server";
	}
	if (c->flag_output != NULL &&
	    cfg_output_parse(c->flag_output, &c->output) != 0) {
		output_error(NULL,
		    "--output must be table, json or csv, not '%s'",
		    c->flag_output);
		return ERR_CONFIG;
	}
	return 0;
}

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	free(c->dir);
	free(c->file);
	free(c->known_path);
	free(c->key_path);
	free(c->server);
	c->dir = c->file = c->known_path = c->key_path = c->server = NULL;
	c->server_from = NULL;
	c->server_in_file = 0;
	c->output = CFG_OUTPUT_TABLE;
}

int
cfg_dir_ensure(const struct cfg *c)
{
	char *p, *s;
	int r = 0;

	if ((p = strdup(c->dir)) == NULL)
		return ERR_ALLOC;
	/* Parents first, like mkdir -p; each new one private too. */
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			output_error("set TIER_CONFIG_DIR or --config-dir to a "
				     "writable directory",
			    "cannot create %s: %s", p, strerror(errno));
			r = ERR_SYSTEM;
			break;
		}
		*s = saved;
		if (saved == '\0')
			break;
	}
	free(p);
	return r;
}

int
cfg_file_read(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *data = NULL;
	size_t have = 0;
	ssize_t n;
	int fd, r = ERR_SYSTEM, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return ERR_SYSTEM;
	if (fstat(fd, &st) != 0)
		goto out;
	if ((data = malloc((size_t)st.st_size + 1)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	while (have < (size_t)st.st_size) {
		n = read(fd, data + have, (size_t)st.st_size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	data[have] = '\0';
	*out = data;
	data = NULL;
	if (len != NULL)
		*len = have;
	r = 0;
out:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return r;
}

int
cfg_file_write(const char *path, const char *data, size_t len)
{
	char *tmp = NULL;
	size_t off = 0;
	ssize_t n;
	int fd = -1, created = 0, r = ERR_SYSTEM, saved;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return ERR_ALLOC;
	/* mkstemp creates the file with mode 0600. */
	if ((fd = mkstemp(tmp)) == -1)
		goto out;
	created = 1;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	r = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (r != 0 && created)
		unlink(tmp);
	free(tmp);
	errno = saved;
	return r;
}

/* Length of the line starting at p, newline excluded. */
static size_t
cfg_line_len(const char *p)
{
	return strcspn(p, "\n");
}

/* The key of an INI line "key = value" if it has one. */
static int
cfg_line_is_key(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key), i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < k || strncmp(line + i, key, k) != 0)
		return 0;
	i += k;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && (line[i] == '=' || line[i] == ':');
}

/* The section a "[name]" line opens, compared with name. */
static int
cfg_line_section(
    const char *line, size_t len, const char **name, size_t *name_len)
{
	size_t i = 0, j;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '[')
		return 0;
	for (j = i + 1; j < len && line[j] != ']'; j++)
		;
	*name = line + i + 1;
	*name_len = j - i - 1;
	return 1;
}

int
cfg_save_server(const struct cfg *c, const char *server)
{
	char *old = NULL, *setting = NULL, *new = NULL;
	const char *p, *name;
	size_t len = 0, name_len, n, header_end = 0, line_start = 0,
	       line_end = 0;
	int in_client = 0, have_client = 0, have_line = 0, r;
	FILE *f = NULL;

	r = cfg_file_read(c->file, &old, &len);
	if (r == ERR_SYSTEM && errno == ENOENT) {
		old = strdup("");
		len = 0;
		r = old == NULL ? ERR_ALLOC : 0;
	}
	if (r != 0)
		goto out;

	for (p = old; *p != '\0'; p += n + (p[n] == '\n')) {
		n = cfg_line_len(p);
		if (cfg_line_section(p, n, &name, &name_len)) {
			in_client =
			    name_len == 6 && strncmp(name, "client", 6) == 0;
			if (in_client && !have_client) {
				have_client = 1;
				header_end =
				    (size_t)(p - old) + n + (p[n] == '\n');
			}
		} else if (in_client && !have_line &&
			   cfg_line_is_key(p, n, "server")) {
			have_line = 1;
			line_start = (size_t)(p - old);
			line_end = line_start + n + (p[n] == '\n');
		}
	}

	if (asprintf(&setting, "server = %s\n", server) < 0) {
		setting = NULL;
		r = ERR_ALLOC;
		goto out;
	}
	if ((f = open_memstream(&new, &n)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	if (have_line) {
		fwrite(old, 1, line_start, f);
		fputs(setting, f);
		fputs(old + line_end, f);
	} else if (have_client) {
		fwrite(old, 1, header_end, f);
		if (header_end > 0 && old[header_end - 1] != '\n')
			fputc('\n', f);
		fputs(setting, f);
		fputs(old + header_end, f);
	} else {
		fputs(old, f);
		if (len > 0 && old[len - 1] != '\n')
			fputc('\n', f);
		if (len > 0)
			fputc('\n', f);
		fputs("[client]\n", f);
		fputs(setting, f);
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = ERR_ALLOC;
		goto out;
	}
	f = NULL;
	if ((r = cfg_dir_ensure(c)) != 0)
		goto out;
	r = cfg_file_write(c->file, new, n);
out:
	free(old);
	free(setting);
	free(new);
	return r;
}
