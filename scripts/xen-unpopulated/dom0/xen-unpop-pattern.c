// SPDX-License-Identifier: GPL-2.0
/*
 * xen-unpop-pattern SEED MIB: write MIB MiB of a data pattern to stdout.
 *
 * The guests scenario (make guests) writes this pattern to a domU's PV
 * disk and sends it over its PV network, in both directions; each side
 * generates it again to check what arrived by checksum.  Every 8-byte
 * word is a function of SEED and its offset alone, so a block that lands
 * at the wrong place or twice changes the checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* splitmix64's finaliser: a word from SEED and its index. */
static uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + i;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	static uint64_t buf[(1 << 20) / sizeof(uint64_t)];
	const size_t words = sizeof(buf) / sizeof(buf[0]);
	uint64_t seed, mib, m, i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SEED MIB\n", argv[0]);
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	mib = strtoull(argv[2], NULL, 0);
	for (m = 0; m < mib; m++) {
		size_t done = 0;

		for (i = 0; i < words; i++)
			buf[i] = pattern_word(seed, m * words + i);
		while (done < sizeof(buf)) {
			ssize_t n = write(1, (char *)buf + done, sizeof(buf) - done);

			if (n <= 0) {
				perror("write");
				return 1;
			}
			done += n;
		}
	}
	return 0;
}
