/*
 * X25519 key files and fingerprints (see keys.h). A key file is two lines: a
 * fixed comment naming the format, then the 32-byte private key in padded
 * standard base64. Files are written beside their final name and hard-linked
 * into place, so a reader never sees half a key and an existing key is never
 * overwritten.
 */
#include "keys.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYS_HEADER     "# tier X25519 private key\n"
#define KEYS_HEADER_LEN (sizeof(KEYS_HEADER) - 1)
/* Padded base64 of 32 bytes: 44 characters, plus the NUL bin2base64 writes. */
#define KEYS_PRIV_B64_LEN 44
#define KEYS_FILE_LEN     (KEYS_HEADER_LEN + KEYS_PRIV_B64_LEN + 1)

/* libsodium must be initialised before sodium_malloc; repeated calls are
 * cheap. */
static int
keys_sodium_ready(void)
{
	return sodium_init() < 0 ? ERR_INTERNAL : 0;
}

/* Allocates a zeroed keypair in guarded memory. */
static int
keys_alloc(struct keypair **out)
{
	struct keypair *kp;
	int r;

	if ((r = keys_sodium_ready()) != 0)
		return r;
	if ((kp = sodium_malloc(sizeof(*kp))) == NULL)
		return ERR_ALLOC;
	sodium_memzero(kp, sizeof(*kp));
	*out = kp;
	return 0;
}

int
keys_generate(struct keypair **out)
{
	struct keypair *kp = NULL;
	int r;

	if ((r = keys_alloc(&kp)) != 0)
		goto out;
	randombytes_buf(kp->priv, sizeof(kp->priv));
	if (crypto_scalarmult_base(kp->pub, kp->priv) != 0) {
		r = ERR_INTERNAL;
		goto out;
	}
	*out = kp;
	kp = NULL;
out:
	keys_free(kp);
	return r;
}

/* Reads exactly len bytes unless the file ends first; *got says how many. */
static int
keys_read_all(int fd, uint8_t *p, size_t len, size_t *got)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = read(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_SYSTEM;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

int
keys_load(const char *path, struct keypair **out)
{
	/* One byte more than a valid file, to notice trailing bytes. */
	uint8_t text[KEYS_FILE_LEN + 1];
	struct keypair *kp = NULL;
	const char *b64, *end = NULL;
	size_t got = 0, bin_len = 0;
	struct stat st;
	int fd = -1, r, saved_errno = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		saved_errno = errno;
		r = ERR_SYSTEM;
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		saved_errno = errno;
		r = ERR_SYSTEM;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = ERR_KEY_FORMAT;
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = ERR_KEY_PERMS;
		goto out;
	}
	if ((r = keys_read_all(fd, text, sizeof(text), &got)) != 0) {
		saved_errno = errno;
		goto out;
	}
	if (got != KEYS_FILE_LEN ||
	    memcmp(text, KEYS_HEADER, KEYS_HEADER_LEN) != 0 ||
	    text[KEYS_FILE_LEN - 1] != '\n') {
		r = ERR_KEY_FORMAT;
		goto out;
	}
	if ((r = keys_alloc(&kp)) != 0)
		goto out;
	b64 = (const char *)text + KEYS_HEADER_LEN;
	if (sodium_base642bin(kp->priv, sizeof(kp->priv), b64,
		KEYS_PRIV_B64_LEN, NULL, &bin_len, &end,
		sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + KEYS_PRIV_B64_LEN || bin_len != sizeof(kp->priv)) {
		r = ERR_KEY_FORMAT;
		goto out;
	}
	if (crypto_scalarmult_base(kp->pub, kp->priv) != 0) {
		r = ERR_KEY_FORMAT;
		goto out;
	}
	*out = kp;
	kp = NULL;
out:
	sodium_memzero(text, sizeof(text));
	keys_free(kp);
	if (fd != -1)
		close(fd);
	if (r == ERR_SYSTEM)
		errno = saved_errno;
	return r;
}

/* Writes all of p, retrying short writes. */
static int
keys_write_all(int fd, const void *p, size_t len)
{
	const uint8_t *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_SYSTEM;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Flushes the directory holding path, so a new name in it survives a crash. */
static int
keys_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t n;
	int fd, r = 0;

	if ((slash = strrchr(path, '/')) == NULL) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return ERR_SYSTEM;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return ERR_SYSTEM;
	if (fsync(fd) == -1 && errno != EINVAL)
		r = ERR_SYSTEM;
	close(fd);
	return r;
}

/*
 * Moves tmp to path without ever replacing path. link() is atomic and fails
 * with EEXIST; file systems without hard links get renameat2's equivalent.
 */
static int
keys_install(const char *tmp, const char *path)
{
	if (link(tmp, path) == 0)
		return 0;
	if (errno == EEXIST)
		return ERR_EXISTS;
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return ERR_SYSTEM;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	return errno == EEXIST ? ERR_EXISTS : ERR_SYSTEM;
}

int
keys_save(const char *path, const struct keypair *kp)
{
	char text[KEYS_FILE_LEN + 1]; /* + NUL from sodium_bin2base64 */
	char tmp[PATH_MAX];
	int fd = -1, r, n, saved_errno = 0, tmp_made = 0;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return ERR_SYSTEM;
	}
	memcpy(text, KEYS_HEADER, KEYS_HEADER_LEN);
	sodium_bin2base64(text + KEYS_HEADER_LEN, KEYS_PRIV_B64_LEN + 1,
	    kp->priv, sizeof(kp->priv), sodium_base64_VARIANT_ORIGINAL);
	text[KEYS_FILE_LEN - 1] = '\n';

	fd = open(
	    tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		saved_errno = errno;
		r = ERR_SYSTEM;
		goto out;
	}
	tmp_made = 1;
	/* The umask may have taken bits away; make the mode exact. */
	if (fchmod(fd, 0600) == -1 ||
	    keys_write_all(fd, text, KEYS_FILE_LEN) != 0 || fsync(fd) == -1) {
		saved_errno = errno;
		r = ERR_SYSTEM;
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		saved_errno = errno;
		r = ERR_SYSTEM;
		goto out;
	}
	fd = -1;
	if ((r = keys_install(tmp, path)) != 0) {
		saved_errno = errno;
		goto out;
	}
	/* Whether linked or renamed, the temporary name must go. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		saved_errno = errno;
		r = ERR_SYSTEM;
		goto out;
	}
	tmp_made = 0;
	if ((r = keys_sync_dir(path)) != 0)
		saved_errno = errno;
out:
	sodium_memzero(text, sizeof(text));
	if (fd != -1)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	if (r == ERR_SYSTEM)
		errno = saved_errno;
	return r;
}

int
keys_load_or_create(const char *path, struct keypair **out, int *created)
{
	struct keypair *kp = NULL;
	int r;

	*created = 0;
	r = keys_load(path, out);
	if (r != ERR_SYSTEM || errno != ENOENT)
		return r;
	if ((r = keys_generate(&kp)) != 0)
		goto out;
	r = keys_save(path, kp);
	if (r == ERR_EXISTS) {
		/* Someone else created it first: theirs is the key. */
		r = keys_load(path, out);
		goto out;
	}
	if (r != 0)
		goto out;
	*created = 1;
	*out = kp;
	kp = NULL;
out:
	keys_free(kp);
	return r;
}

void
keys_free(struct keypair *kp)
{
	/* sodium_free wipes the guarded pages before unmapping them. */
	if (kp != NULL)
		sodium_free(kp);
}

void
keys_fingerprint(const uint8_t pub[KEYS_LEN], char out[KEYS_FINGERPRINT_SIZE])
{
	static const char prefix[] = "BLAKE2b:";
	uint8_t h[32];

	crypto_generichash(h, sizeof(h), pub, KEYS_LEN, NULL, 0);
	memcpy(out, prefix, sizeof(prefix) - 1);
	sodium_bin2base64(out + sizeof(prefix) - 1,
	    KEYS_FINGERPRINT_SIZE - (sizeof(prefix) - 1), h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

void
keys_pub_to_b64(const uint8_t pub[KEYS_LEN], char out[KEYS_B64_SIZE])
{
	sodium_bin2base64(out, KEYS_B64_SIZE, pub, KEYS_LEN,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
keys_pub_from_b64(const char *text, uint8_t pub[KEYS_LEN])
{
	uint8_t tmp[KEYS_LEN];
	const char *end = NULL;
	size_t len, bin_len = 0;

	len = strlen(text);
	if (len != KEYS_B64_SIZE - 1)
		return ERR_KEY_FORMAT;
	if (sodium_base642bin(tmp, sizeof(tmp), text, len, NULL, &bin_len, &end,
		sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != text + len || bin_len != KEYS_LEN)
		return ERR_KEY_FORMAT;
	memcpy(pub, tmp, KEYS_LEN);
	return 0;
}
