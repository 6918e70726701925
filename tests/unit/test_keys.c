/*
 * Tests of common/keys.c: key files on disk (format, mode, refusal of unsafe
 * or malformed files, no replacement of existing keys), fingerprints and the
 * base64 form of public keys. Each test works in its own mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "err.h"
#include "keys.h"

/* A scratch directory and a key path inside it, made per test. */
struct fixture {
	char dir[64];   /* mkdtemp result */
	char path[128]; /* dir + "/id_x25519" */
};

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_keys.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/id_x25519", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp;

	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static size_t
count_entries(const char *dir)
{
	char cmd[160];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return (size_t)n;
}

static void
test_generate_derives_public(void **state)
{
	struct keypair *a = NULL, *b = NULL;
	uint8_t pub[KEYS_LEN];

	(void)state;
	assert_int_equal(keys_generate(&a), 0);
	assert_int_equal(keys_generate(&b), 0);
	assert_int_equal(crypto_scalarmult_base(pub, a->priv), 0);
	assert_memory_equal(pub, a->pub, KEYS_LEN);
	assert_memory_not_equal(a->priv, b->priv, KEYS_LEN);
	keys_free(a);
	keys_free(b);
	keys_free(NULL);
}

static void
test_save_load_round_trip(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL, *back = NULL;
	struct stat st;

	assert_int_equal(keys_generate(&kp), 0);
	assert_int_equal(keys_save(f->path, kp), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(S_ISREG(st.st_mode));
	/* No temporary file is left behind. */
	assert_int_equal(count_entries(f->dir), 1);

	assert_int_equal(keys_load(f->path, &back), 0);
	assert_memory_equal(back->priv, kp->priv, KEYS_LEN);
	assert_memory_equal(back->pub, kp->pub, KEYS_LEN);
	keys_free(kp);
	keys_free(back);
}

static void
test_file_format(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL;
	char text[256], b64[64];
	FILE *fp;
	size_t n;

	assert_int_equal(keys_generate(&kp), 0);
	assert_int_equal(keys_save(f->path, kp), 0);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	sodium_bin2base64(b64, sizeof(b64), kp->priv, KEYS_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(n, 26 + 44 + 1);
	assert_memory_equal(text, "# tier X25519 private key\n", 26);
	assert_memory_equal(text + 26, b64, 44);
	assert_int_equal(text[70], '\n');
	keys_free(kp);
}

static void
test_load_missing(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL;

	assert_int_equal(keys_load(f->path, &kp), ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
	assert_null(kp);
}

static void
test_load_refuses_loose_perms(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL, *back = NULL;

	assert_int_equal(keys_generate(&kp), 0);
	assert_int_equal(keys_save(f->path, kp), 0);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(keys_load(f->path, &back), ERR_KEY_PERMS);
	assert_null(back);
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(keys_load(f->path, &back), ERR_KEY_PERMS);
	assert_int_equal(chmod(f->path, 0604), 0);
	assert_int_equal(keys_load(f->path, &back), ERR_KEY_PERMS);
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(keys_load(f->path, &back), 0);
	assert_memory_equal(back->priv, kp->priv, KEYS_LEN);
	keys_free(kp);
	keys_free(back);
}

static void
test_load_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL, *back = NULL;
	char link_path[160];

	assert_int_equal(keys_generate(&kp), 0);
	assert_int_equal(keys_save(f->path, kp), 0);
	snprintf(link_path, sizeof(link_path), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link_path), 0);
	assert_int_equal(keys_load(link_path, &back), ERR_SYSTEM);
	assert_int_equal(errno, ELOOP);
	assert_null(back);
	keys_free(kp);
}

static void
test_load_refuses_garbage(void **state)
{
	static const char *bad[] = {
		"",
		"hello\n",
		/* missing header */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		/* wrong header */
		"# tier X25519 public key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		/* no final newline */
		"# tier X25519 private key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		/* trailing garbage */
		"# tier X25519 private key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nx",
		/* too short: 31 bytes */
		"# tier X25519 private key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
		/* bad character */
		"# tier X25519 private key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAA!AAAAAAAAAAAAAAAAA=\n",
		/* URL-safe alphabet is not this format */
		"# tier X25519 private key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAA-AAAAAAAAAAAAAAAAA=\n",
		/* missing padding */
		"# tier X25519 private key\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		/* CRLF */
		"# tier X25519 private key\r\n"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	};
	struct fixture *f = *state;
	struct keypair *kp = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(f->path, bad[i], 0600);
		kp = NULL;
		if (keys_load(f->path, &kp) != ERR_KEY_FORMAT)
			fail_msg("case %zu accepted or wrong error", i);
		assert_null(kp);
	}
	/* The valid spelling of the same key is accepted. */
	write_file(f->path,
	    "# tier X25519 private key\n"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	    0600);
	assert_int_equal(keys_load(f->path, &kp), 0);
	keys_free(kp);
}

static void
test_load_refuses_directory(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL;

	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(keys_load(f->path, &kp), ERR_KEY_FORMAT);
	assert_null(kp);
}

static void
test_save_never_replaces(void **state)
{
	struct fixture *f = *state;
	struct keypair *a = NULL, *b = NULL, *back = NULL;

	assert_int_equal(keys_generate(&a), 0);
	assert_int_equal(keys_generate(&b), 0);
	assert_int_equal(keys_save(f->path, a), 0);
	assert_int_equal(keys_save(f->path, b), ERR_EXISTS);
	assert_int_equal(keys_load(f->path, &back), 0);
	assert_memory_equal(back->priv, a->priv, KEYS_LEN);
	/* The failed attempt cleans up its temporary file. */
	assert_int_equal(count_entries(f->dir), 1);

	/* Not even an unrelated file is replaced. */
	keys_free(back);
	back = NULL;
	write_file(f->path, "precious\n", 0600);
	assert_int_equal(keys_save(f->path, b), ERR_EXISTS);
	assert_int_equal(keys_load(f->path, &back), ERR_KEY_FORMAT);
	keys_free(a);
	keys_free(b);
}

static void
test_save_into_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct keypair *kp = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/nope/id", f->dir);
	assert_int_equal(keys_generate(&kp), 0);
	assert_int_equal(keys_save(path, kp), ERR_SYSTEM);
	assert_int_equal(errno, ENOENT);
	keys_free(kp);
}

static void
test_load_or_create(void **state)
{
	struct fixture *f = *state;
	struct keypair *a = NULL, *b = NULL;
	struct stat st;
	int created = -1;

	assert_int_equal(keys_load_or_create(f->path, &a, &created), 0);
	assert_int_equal(created, 1);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keys_load_or_create(f->path, &b, &created), 0);
	assert_int_equal(created, 0);
	assert_memory_equal(a->priv, b->priv, KEYS_LEN);
	assert_memory_equal(a->pub, b->pub, KEYS_LEN);
	keys_free(a);
	keys_free(b);

	/* An unsafe file is an error, not a reason to make a new key. */
	b = NULL;
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(
	    keys_load_or_create(f->path, &b, &created), ERR_KEY_PERMS);
	assert_int_equal(created, 0);
	assert_null(b);
}

static void
test_fingerprint(void **state)
{
	struct keypair *a = NULL, *b = NULL;
	char fa[KEYS_FINGERPRINT_SIZE], fa2[KEYS_FINGERPRINT_SIZE];
	char fb[KEYS_FINGERPRINT_SIZE], want[64];
	uint8_t h[32];
	size_t i;

	(void)state;
	assert_int_equal(keys_generate(&a), 0);
	assert_int_equal(keys_generate(&b), 0);
	memset(fa, 'x', sizeof(fa));
	keys_fingerprint(a->pub, fa);
	keys_fingerprint(a->pub, fa2);
	keys_fingerprint(b->pub, fb);

	assert_int_equal(strlen(fa), 8 + 43);
	assert_memory_equal(fa, "BLAKE2b:", 8);
	for (i = 8; i < strlen(fa); i++)
		assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				   "qrstuvwxyz0123456789+/",
				fa[i]) != NULL);
	assert_string_equal(fa, fa2);
	assert_string_not_equal(fa, fb);

	/* It is the BLAKE2b-256 of the public key, standard base64. */
	crypto_generichash(h, sizeof(h), a->pub, KEYS_LEN, NULL, 0);
	memcpy(want, "BLAKE2b:", 8);
	sodium_bin2base64(want + 8, sizeof(want) - 8, h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	assert_string_equal(fa, want);
	keys_free(a);
	keys_free(b);
}

static void
test_fingerprint_known_value(void **state)
{
	uint8_t pub[KEYS_LEN] = { 0 };
	char fp[KEYS_FINGERPRINT_SIZE];

	(void)state;
	/* Computed independently: Python's hashlib.blake2b(digest_size=32)
	 * of 32 zero bytes, then base64 without padding. */
	keys_fingerprint(pub, fp);
	assert_string_equal(
	    fp, "BLAKE2b:iesNaoppHa4s0V7QNpkxzgqUnsr6XD+T+BIYM2RuFcM");
}

static void
test_b64_round_trip(void **state)
{
	struct keypair *kp = NULL;
	char text[KEYS_B64_SIZE];
	uint8_t back[KEYS_LEN];
	uint8_t all_ones[KEYS_LEN], counting[KEYS_LEN];
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		assert_int_equal(keys_generate(&kp), 0);
		keys_pub_to_b64(kp->pub, text);
		assert_int_equal(strlen(text), 43);
		assert_null(strchr(text, '+'));
		assert_null(strchr(text, '/'));
		assert_null(strchr(text, '='));
		memset(back, 0, sizeof(back));
		assert_int_equal(keys_pub_from_b64(text, back), 0);
		assert_memory_equal(back, kp->pub, KEYS_LEN);
		keys_free(kp);
	}
	memset(all_ones, 0xff, sizeof(all_ones));
	keys_pub_to_b64(all_ones, text);
	assert_string_equal(
	    text, "__________________________________________8");
	for (i = 0; i < KEYS_LEN; i++)
		counting[i] = (uint8_t)i;
	keys_pub_to_b64(counting, text);
	assert_string_equal(
	    text, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
	assert_int_equal(keys_pub_from_b64(text, back), 0);
	assert_memory_equal(back, counting, KEYS_LEN);
}

static void
test_b64_rejects_bad_input(void **state)
{
	static const char *bad[] = {
		"",
		"AAAA",
		/* 42 characters */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 44 characters */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* padded form */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		/* standard alphabet */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
		/* trailing garbage */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
		/* leading space */
		" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* unused low bits set: not the canonical encoding */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
	};
	uint8_t pub[KEYS_LEN], want[KEYS_LEN];
	size_t i;

	(void)state;
	memset(want, 0x5a, sizeof(want));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(pub, want, sizeof(pub));
		if (keys_pub_from_b64(bad[i], pub) != ERR_KEY_FORMAT)
			fail_msg("case %zu (\"%s\") accepted", i, bad[i]);
		/* A refused input leaves the output alone. */
		assert_memory_equal(pub, want, sizeof(pub));
	}
	assert_int_equal(
	    keys_pub_from_b64(
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", pub),
	    0);
	memset(want, 0, sizeof(want));
	assert_memory_equal(pub, want, sizeof(pub));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_derives_public),
		cmocka_unit_test_setup_teardown(
		    test_save_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_format, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_refuses_loose_perms, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_refuses_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_refuses_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_save_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_save_into_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_or_create, setup, teardown),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_fingerprint_known_value),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_rejects_bad_input),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
