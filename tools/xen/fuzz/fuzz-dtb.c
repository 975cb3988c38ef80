// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for tools/xen/xen-extregions: each input is a device
 * tree blob, malformed or not, given to the tool exactly as a file on its
 * command line.  The tool must never crash (ASan, UBSan), must exit 0
 * or 1 (1 only with a message), and what it prints on success must be
 * well-formed: "region", "hole" and "usable" lines with inclusive ranges,
 * the regions sorted, disjoint and not touching.
 */

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The tool's output goes to memory, its messages are counted. */
static FILE *fuzz_out, *fuzz_err;
#undef stdout
#undef stderr
#define stdout fuzz_out
#define stderr fuzz_err
#define printf(...) fprintf(stdout, __VA_ARGS__)
#define main xen_extregions_main
#include "../xen-extregions.c"
#undef main
#undef printf
#undef stdout
#undef stderr

static int fd = -1;
static char path[64];
static char *args[5];	/* xen-extregions --granule 0x1000 PATH */

static void fail(const char *what, const char *out)
{
	fprintf(stderr, "invariant broken: %s\n%s", what, out ? out : "");
	abort();
}

/* Lines "KIND 0xSTART 0xEND"; regions sorted, disjoint, not touching. */
static void check_output(const char *out)
{
	unsigned long long s, e, prev_end = 0;
	const char *p = out;
	bool first = true;
	char kind[8];
	int n;

	while (*p) {
		if (sscanf(p, "%7s 0x%llx 0x%llx%n", kind, &s, &e, &n) != 3 ||
		    p[n] != '\n')
			fail("malformed line", out);
		if (s > e)
			fail("inverted range", out);
		if (!strcmp(kind, "region")) {
			if (!first && (prev_end == ~0ULL || s <= prev_end + 1))
				fail("regions not sorted, disjoint and apart", out);
			first = false;
			prev_end = e;
		} else if (strcmp(kind, "hole") && strcmp(kind, "usable")) {
			fail("unknown kind of line", out);
		}
		p += n + 1;
	}
}

/* LLVMFuzzerInitialize and LLVMFuzzerTestOneInput, named so by -D. */
int fuzz_init(int *argc, char ***argv)
{
	fd = memfd_create("dtb", 0);
	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	args[0] = strdup("xen-extregions");
	args[1] = strdup("--granule");
	args[2] = strdup("0x1000");
	args[3] = path;
	fuzz_err = fopen("/dev/null", "w");
	return fuzz_err && args[0] && args[1] && args[2] ? 0 : -1;
}

int fuzz_one_input(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t out_len = 0;
	long err_before;
	int rc;

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	fuzz_out = open_memstream(&out, &out_len);
	if (!fuzz_out)
		abort();
	err_before = ftell(fuzz_err);
	optind = 0;
	rc = xen_extregions_main(4, args);
	fclose(fuzz_out);
	if (rc != 0 && rc != 1)
		fail("exit code neither 0 nor 1", out);
	if (rc == 1 && ftell(fuzz_err) == err_before)
		fail("error without a message", out);
	if (rc == 0)
		check_output(out);
	free(out);
	return 0;
}
