/* l2tp-ctl: the operator's client for a running l2tp-run's control socket
 * (l2tp-run --control PATH, or l2tp.control.listen in a script). Sends the
 * command line as a JSON array, prints the reply: as tables and key: value
 * lines by default, as JSON with --json. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EXIT_COMMAND 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3
#define DEFAULT_SOCKET "/run/l2tp/l2tp.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: l2tp-ctl [options] COMMAND [ARGS...]\n"
		"\n"
		"Runs COMMAND in the l2tp-run process serving the control socket and\n"
		"prints its answer. `l2tp-ctl help` lists the commands that process\n"
		"answers: the built-in ones (show tunnels, show sessions [TUNNEL],\n"
		"show tunnel NAME, show listeners, stats, metrics, close tunnel NAME,\n"
		"close session TUNNEL/SESSION, log-level [LEVEL], version) and any its\n"
		"script added.\n"
		"\n"
		"options:\n"
		"  -s, --socket PATH  the control socket (default: $L2TP_CONTROL, else " DEFAULT_SOCKET ")\n"
		"  -j, --json         print the answer as JSON\n"
		"  -t, --timeout SEC  how long to wait for the answer (default 10)\n"
		"  -h, --help         this text\n"
		"\n"
		"exit status: 0 done, 1 the command failed (message on stderr),\n"
		"2 bad command line, 3 no answer from the socket\n");
}

/* Text for a scalar cell ("" for null, "-" for what is not a scalar). */
static char *cell(const json_t *v)
{
	char buf[64];
	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		return strdup(buf);
	case JSON_TRUE:
		return strdup("yes");
	case JSON_FALSE:
		return strdup("no");
	case JSON_NULL:
		return strdup("");
	default:
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj that skip (may be NULL) lacks, sorted: a stable order
 * for what the view does not order. */
static json_t *sorted_keys(const json_t *obj, const json_t *skip)
{
	const char **names = calloc(json_object_size(obj) + 1, sizeof(char *));
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) if (!json_object_get(skip, k)) names[n++] = k;
	qsort(names, n, sizeof(*names), by_name);
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_string(names[i]));
	free(names);
	return out;
}

/* The columns to draw: the view's, or every key of the rows, sorted. */
static json_t *columns_of(const json_t *rows, const json_t *cols)
{
	if (json_is_array(cols) && json_array_size(cols) > 0)
		return json_incref((json_t *)cols);
	json_t *keys = json_object();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		const char *k;
		json_t *v;
		json_object_foreach(row, k, v) json_object_set(keys, k, json_true());
	}
	json_t *out = sorted_keys(keys, NULL);
	json_decref(keys);
	return out;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static void print_table(const json_t *rows, const json_t *view_cols, int indent)
{
	json_t *cols = columns_of(rows, view_cols);
	size_t ncols = json_array_size(cols), nrows = json_array_size(rows);
	if (nrows == 0) {
		printf("%*s(none)\n", indent, "");
		json_decref(cols);
		return;
	}
	char **text = calloc((nrows + 1) * ncols, sizeof(char *));
	size_t *width = calloc(ncols, sizeof(size_t));
	for (size_t c = 0; c < ncols; c++) {
		text[c] = strdup(json_string_value(json_array_get(cols, c)));
		upper(text[c]);
		width[c] = strlen(text[c]);
	}
	for (size_t r = 0; r < nrows; r++) {
		const json_t *row = json_array_get(rows, r);
		for (size_t c = 0; c < ncols; c++) {
			const json_t *v = json_object_get(row, json_string_value(json_array_get(cols, c)));
			char *t = v ? cell(v) : strdup("");
			text[(r + 1) * ncols + c] = t;
			if (strlen(t) > width[c])
				width[c] = strlen(t);
		}
	}
	for (size_t r = 0; r <= nrows; r++) {
		printf("%*s", indent, "");
		for (size_t c = 0; c < ncols; c++) {
			char *t = text[r * ncols + c];
			if (c + 1 < ncols)
				printf("%-*s  ", (int)width[c], t);
			else
				printf("%s", t);
			free(t);
		}
		printf("\n");
	}
	free(text);
	free(width);
	json_decref(cols);
}

static bool is_table(const json_t *v)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) if (!json_is_object(x)) return false;
	return true;
}

static void print_value(const json_t *v, const json_t *view, int indent);

static void print_field(const char *k, const json_t *v, const json_t *view, int indent)
{
	if (json_is_object(v)) {
		printf("%*s%s:\n", indent, "", k);
		print_value(v, NULL, indent + 2);
	} else if (is_table(v) || (json_is_array(v) && json_array_size(v) == 0)) {
		printf("%*s%s:\n", indent, "", k);
		print_table(v, json_object_get(json_object_get(view, "columns"), k), indent + 2);
	} else {
		char *t = cell(v);
		printf("%*s%s: %s\n", indent, "", k, t);
		free(t);
	}
}

/* One record: the view's order first, then the remaining keys sorted. */
static void print_record(const json_t *obj, const json_t *view, int indent)
{
	const json_t *order = json_object_get(view, "order");
	json_t *done = json_object();
	size_t i;
	json_t *k;
	json_array_foreach(order, i, k)
	{
		const json_t *v = json_object_get(obj, json_string_value(k));
		if (json_is_string(k) && v) {
			print_field(json_string_value(k), v, view, indent);
			json_object_set(done, json_string_value(k), json_true());
		}
	}
	json_t *rest = sorted_keys(obj, done);
	json_array_foreach(rest, i, k)
	{
		const char *name = json_string_value(k);
		print_field(name, json_object_get(obj, name), view, indent);
	}
	json_decref(rest);
	json_decref(done);
}

static void print_value(const json_t *v, const json_t *view, int indent)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		fputs(s, stdout);
		if (s[0] && s[strlen(s) - 1] != '\n')
			putchar('\n');
	} else if (is_table(v) || (json_is_array(v) && json_array_size(v) == 0)) {
		print_table(v, json_object_get(view, "columns"), indent);
	} else if (json_is_object(v)) {
		print_record(v, view, indent);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			char *t = cell(x);
			printf("%*s%s\n", indent, "", t);
			free(t);
		}
	} else if (!json_is_true(v)) {
		char *t = cell(v);
		printf("%s\n", t);
		free(t);
	}
}

static int connect_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "l2tp-ctl: %s: path too long\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "l2tp-ctl: cannot connect to %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is the daemon running with --control?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one reply line; NULL on timeout or a closed socket. */
static char *read_reply(int fd, double timeout, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	double end = now() + timeout;
	while (buf) {
		char *nl = memchr(buf, '\n', n);
		if (nl) {
			*len = (size_t)(nl - buf);
			return buf;
		}
		double left = end - now();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0) {
			fprintf(stderr, "l2tp-ctl: no answer within %g s\n", timeout);
			break;
		}
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r <= 0) {
			fprintf(stderr, "l2tp-ctl: the socket closed before the answer\n");
			break;
		}
		n += (size_t)r;
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = getenv("L2TP_CONTROL");
	bool as_json = false;
	double timeout = 10;
	int c;
	if (!path || !*path)
		path = DEFAULT_SOCKET;
	while ((c = getopt_long(argc, argv, "+s:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 't': {
			char *end;
			timeout = strtod(optarg, &end);
			if (*end || timeout <= 0) {
				fprintf(stderr, "l2tp-ctl: timeout '%s' is not a number of seconds > 0\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "l2tp-ctl: no command given (try 'l2tp-ctl help')\n");
		return EXIT_USAGE;
	}
	json_t *req = json_array();
	for (int i = optind; i < argc; i++) {
		json_t *w = json_string(argv[i]);
		if (!w) {
			fprintf(stderr, "l2tp-ctl: argument %d is not UTF-8\n", i - optind + 1);
			json_decref(req);
			return EXIT_USAGE;
		}
		json_array_append_new(req, w);
	}
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	int fd = connect_to(path);
	if (fd < 0) {
		free(text);
		return EXIT_CONNECT;
	}
	size_t tlen = strlen(text);
	text[tlen] = '\n'; /* json_dumps leaves room only for the NUL: reuse it */
	ssize_t sent = write(fd, text, tlen + 1);
	free(text);
	if (sent != (ssize_t)(tlen + 1)) {
		fprintf(stderr, "l2tp-ctl: cannot send to %s: %s\n", path, strerror(errno));
		close(fd);
		return EXIT_CONNECT;
	}
	size_t len;
	char *line = read_reply(fd, timeout, &len);
	close(fd);
	if (!line)
		return EXIT_CONNECT;
	json_error_t jerr;
	json_t *rep = json_loadb(line, len, 0, &jerr);
	free(line);
	if (!json_is_object(rep)) {
		fprintf(stderr, "l2tp-ctl: the answer is not a JSON object%s%s\n", rep ? "" : ": ", rep ? "" : jerr.text);
		json_decref(rep);
		return EXIT_CONNECT;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		const char *err = json_string_value(json_object_get(rep, "error"));
		fprintf(stderr, "l2tp-ctl: %s\n", err ? err : "the command failed");
		json_decref(rep);
		return EXIT_COMMAND;
	}
	const json_t *result = json_object_get(rep, "result");
	if (as_json) {
		char *out = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
		printf("%s\n", out ? out : "null");
		free(out);
	} else {
		print_value(result, json_object_get(rep, "view"), 0);
	}
	json_decref(rep);
	return 0;
}
