/*
 * Pinned server keys, trust on first use as in ssh's accept-new: the first
 * key a server proves is recorded in known_servers, and any later different
 * key is refused. This file owns the file format; conn.c decides when to
 * look up and when to add.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"
#include "tier.h"

int
known_lookup(const char *path, const char *address, const uint8_t key[KEYS_LEN],
    enum known_result *result, uint8_t pinned[KEYS_LEN], int *line)
{
	char *data = NULL, *p, *next, *host, *b64, *end;
	int lineno = 0, r;

	*result = KNOWN_NEW;
	r = cfg_file_read(path, &data, NULL);
	if (r == ERR_SYSTEM && errno == ENOENT)
		return 0;
	if (r != 0)
		return r;

	for (p = data; p != NULL && *p != '\0'; p = next) {
		lineno++;
		if ((next = strchr(p, '\n')) != NULL)
			*next++ = '\0';
		host = p + strspn(p, " \t");
		if (*host == '\0' || *host == '#' || *host == '\r')
			continue;
		end = host + strcspn(host, " \t\r");
		b64 = end + strspn(end, " \t");
		if ((size_t)(end - host) != strlen(address) ||
		    strncmp(host, address, (size_t)(end - host)) != 0)
			continue;
		b64[strcspn(b64, " \t\r")] = '\0';
		*line = lineno;
		if (keys_pub_from_b64(b64, pinned) != 0) {
			r = ERR_KEY_FORMAT;
			goto out;
		}
		*result = sodium_memcmp(pinned, key, KEYS_LEN) == 0
			      ? KNOWN_MATCH
			      : KNOWN_CHANGED;
		break;
	}
	r = 0;
out:
	free(data);
	return r;
}

int
known_add(const char *path, const char *address, const uint8_t key[KEYS_LEN])
{
	char b64[KEYS_B64_SIZE], *old = NULL, *new = NULL;
	size_t len = 0;
	int n, r;

	r = cfg_file_read(path, &old, &len);
	if (r == ERR_SYSTEM && errno == ENOENT) {
		r = 0;
		len = 0;
	}
	if (r != 0)
		return r;
	keys_pub_to_b64(key, b64);
	n = asprintf(&new, "%s%s%s %s\n", old != NULL ? old : "",
	    len > 0 && old[len - 1] != '\n' ? "\n" : "", address, b64);
	if (n < 0) {
		new = NULL;
		r = ERR_ALLOC;
		goto out;
	}
	r = cfg_file_write(path, new, (size_t)n);
out:
	free(old);
	free(new);
	return r;
}
