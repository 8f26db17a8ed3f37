/* Reads core/tests/golden/messages.txt: named vectors of hex words. */
#ifndef L2TP_GOLDEN_H
#define L2TP_GOLDEN_H

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct golden {
	char name[64];
	bool control;
	bool over_ip;
	bool decode_only;
	bool l2spec;
	unsigned cookie_len;
	char secret[32];
	unsigned char bytes[2048];
	size_t len;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Returns the number of vectors read into out (at most max), -1 on error. */
static int golden_load(const char *path, struct golden *out, int max)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = -1;
	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (strncmp(line, "==", 2) == 0) {
			if (++n >= max) {
				fclose(f);
				return -1;
			}
			struct golden *g = &out[n];
			memset(g, 0, sizeof(*g));
			char *tok = strtok(line + 2, " \t\r\n");
			snprintf(g->name, sizeof(g->name), "%s", tok ? tok : "?");
			while ((tok = strtok(NULL, " \t\r\n"))) {
				if (!strcmp(tok, "control"))
					g->control = true;
				else if (!strcmp(tok, "ip"))
					g->over_ip = true;
				else if (!strcmp(tok, "decode-only"))
					g->decode_only = true;
				else if (!strcmp(tok, "l2spec"))
					g->l2spec = true;
				else if (!strncmp(tok, "cookie=", 7))
					g->cookie_len = (unsigned)atoi(tok + 7);
				else if (!strncmp(tok, "secret=", 7))
					snprintf(g->secret, sizeof(g->secret), "%s", tok + 7);
			}
			continue;
		}
		if (n < 0)
			continue;
		struct golden *g = &out[n];
		int hi = -1;
		for (char *p = line; *p; p++) {
			int v = hexval((unsigned char)*p);
			if (v < 0)
				continue;
			if (hi < 0) {
				hi = v;
			} else {
				if (g->len >= sizeof(g->bytes)) {
					fclose(f);
					return -1;
				}
				g->bytes[g->len++] = (unsigned char)(hi << 4 | v);
				hi = -1;
			}
		}
		if (hi >= 0) {
			fprintf(stderr, "%s: odd number of hex digits in %s\n", path, g->name);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return n + 1;
}

#endif
