/* SPDX-License-Identifier: MIT */
/*
 * tools/kdump/kdump.c: kindling's command line. Options, the capture loop,
 * the child command and stats; rendering is in text.c and json.c.
 * Uses only the public API (include/kindling/kindling.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdump.h"

#define EXIT_USAGE 2
#define MAX_PIDS 64
#define MAX_FILTER 16 /* per kind: more than the library takes, so it says why */

struct args {
	int engine;
	bool engine_set;
	bool json, quiet, no_latency, list_events, list_probes, stacks;
	uint32_t snaplen;
	const char *events;
	int32_t pids[MAX_PIDS + 1]; /* + the child */
	size_t npids;
	uint64_t count;      /* 0: unlimited */
	double duration;     /* seconds, 0: unlimited */
	const char *write_file, *read_file, *out_file;
	char **cmd;          /* NULL: no child */
	/* in-kernel filters (kd_filter); the library checks the entries */
	const char *comms[MAX_FILTER], *cgroups[MAX_FILTER], *paths[MAX_FILTER];
	size_t ncomms, ncgroups, npaths;
};

static volatile sig_atomic_t stop_sig;       /* SIGINT/SIGTERM received */
static volatile sig_atomic_t stop_count;     /* the second one stops at once */
static volatile sig_atomic_t stop_from_user; /* sent by kill(), not the terminal */
static volatile sig_atomic_t child_changed;  /* SIGCHLD */

/* CLOCK_MONOTONIC ns at which the child calls execvp, in memory shared with
 * it: the child's own events before that (its read of the go pipe) are
 * kdump's, not the command's. 0 until then. */
static volatile uint64_t *exec_stamp;

static void usage(FILE *f)
{
	fputs("usage: kdump [options] [-- COMMAND ARGS...]\n"
	      "Prints kernel events (syscalls with their arguments, process, sched, net\n"
	      "events) one per line, from a live capture or a capture file.\n"
	      "\n"
	      "  -e, --engine ENGINE   auto (default), core, classic, kmod, file\n"
	      "      --json            one JSON object per line\n"
	      "  -s, --snaplen N       bytes of buffers to capture (default 80, max 65535)\n"
	      "  -E, --events LIST     events, categories or probes: openat,net,...\n"
	      "  -p, --pid PID         only this process and its children (repeatable, comma list)\n"
	      "      --comm NAME[*]    only threads named NAME, or starting with NAME when it\n"
	      "                        ends in '*' (in the kernel; repeatable)\n"
	      "      --cgroup PATH     only tasks in this cgroup v2 or below it (repeatable)\n"
	      "      --path-prefix P   events with path params: only paths starting with P\n"
	      "                        (repeatable; events without a path pass)\n"
	      "  -n, --count N         stop after N events\n"
	      "  -d, --duration SECS   stop after SECS seconds (what came before is shown)\n"
	      "  -w, --write FILE      also write the events to a capture file\n"
	      "  -r, --read FILE       replay a capture file instead of capturing live\n"
	      "  -o, --output FILE     print the events to FILE instead of stdout (a traced\n"
	      "                        command keeps stdout to itself)\n"
	      "  -q, --quiet           count events without printing them\n"
	      "      --no-latency      do not measure syscall latency\n"
	      "      --stacks          sched_offcpu events show the kernel and user stacks\n"
	      "                        the thread left the CPU from (-E sched_offcpu)\n"
	      "      --list-events     list event types: name category param:kind ...\n"
	      "      --list-probes     open the engine, list its probes: name on|off attach-method\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "With -- COMMAND, kdump runs COMMAND, follows it and its children, and exits\n"
	      "with its exit status (128+signal if it was killed).\n"
	      "Ctrl-C stops after showing what happened before it (twice: at once).\n"
	      "Stats (events, drops by reason) go to stderr at the end.\n",
	      f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("kdump: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'kdump --help'.\n", stderr);
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_pids(struct args *a, const char *s)
{
	char *copy = strdup(s), *save = NULL, *tok;
	bool ok = copy != NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; ok && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint64_t v;
		if (!parse_u64(tok, INT32_MAX, &v) || v == 0 || a->npids >= MAX_PIDS)
			ok = false;
		else
			a->pids[a->npids++] = (int32_t)v;
	}
	free(copy);
	return ok && a->npids > 0;
}

static bool parse_engine(const char *s, int *out)
{
	/* Names come from the library so kdump and kd_engine_name() agree;
	 * "buffer" is for programs, not a command line. */
	for (int e = KD_ENGINE_AUTO; e <= KD_ENGINE_FILE; e++) {
		if (!strcmp(s, kd_engine_name(e))) {
			*out = e;
			return true;
		}
	}
	return false;
}

enum { OPT_JSON = 256, OPT_NO_LATENCY, OPT_LIST_EVENTS, OPT_LIST_PROBES, OPT_STACKS, OPT_COMM,
       OPT_CGROUP, OPT_PATH_PREFIX };

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{"engine", required_argument, NULL, 'e'},
		{"json", no_argument, NULL, OPT_JSON},
		{"snaplen", required_argument, NULL, 's'},
		{"events", required_argument, NULL, 'E'},
		{"pid", required_argument, NULL, 'p'},
		{"count", required_argument, NULL, 'n'},
		{"duration", required_argument, NULL, 'd'},
		{"write", required_argument, NULL, 'w'},
		{"read", required_argument, NULL, 'r'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"no-latency", no_argument, NULL, OPT_NO_LATENCY},
		{"stacks", no_argument, NULL, OPT_STACKS},
		{"list-events", no_argument, NULL, OPT_LIST_EVENTS},
		{"list-probes", no_argument, NULL, OPT_LIST_PROBES},
		{"comm", required_argument, NULL, OPT_COMM},
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"path-prefix", required_argument, NULL, OPT_PATH_PREFIX},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	uint64_t v;
	char *end;
	int c;

	opterr = 0; /* our own messages, all with exit 2 */
	/* '+': stop at the command, so its own options are left alone */
	while ((c = getopt_long(argc, argv, "+:e:s:E:p:n:d:w:r:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!parse_engine(optarg, &a->engine))
				return usage_error("unknown engine '%s' (auto, core, classic, kmod, file)",
						   optarg);
			a->engine_set = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case 's':
			if (!parse_u64(optarg, 65535, &v))
				return usage_error("bad snaplen '%s' (0..65535)", optarg);
			a->snaplen = (uint32_t)v;
			break;
		case 'E':
			a->events = optarg;
			break;
		case 'p':
			if (!parse_pids(a, optarg))
				return usage_error("bad pid list '%s'", optarg);
			break;
		case 'n':
			if (!parse_u64(optarg, UINT64_MAX, &v) || v == 0)
				return usage_error("bad count '%s' (a positive number)", optarg);
			a->count = v;
			break;
		case 'd':
			errno = 0;
			a->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(a->duration > 0) ||
			    a->duration > 1e9)
				return usage_error("bad duration '%s' (seconds > 0)", optarg);
			break;
		case 'w':
			a->write_file = optarg;
			break;
		case 'r':
			a->read_file = optarg;
			break;
		case 'o':
			a->out_file = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case OPT_NO_LATENCY:
			a->no_latency = true;
			break;
		case OPT_STACKS:
			a->stacks = true;
			break;
		case OPT_LIST_EVENTS:
			a->list_events = true;
			break;
		case OPT_LIST_PROBES:
			a->list_probes = true;
			break;
		case OPT_COMM:
			if (a->ncomms >= MAX_FILTER)
				return usage_error("too many --comm (at most %s)", "8");
			a->comms[a->ncomms++] = optarg;
			break;
		case OPT_CGROUP:
			if (a->ncgroups >= MAX_FILTER)
				return usage_error("too many --cgroup (at most %s)", "8");
			a->cgroups[a->ncgroups++] = optarg;
			break;
		case OPT_PATH_PREFIX:
			if (a->npaths >= MAX_FILTER)
				return usage_error("too many --path-prefix (at most %s)", "8");
			a->paths[a->npaths++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		a->cmd = argv + optind;
	if (a->read_file) {
		if (a->engine_set && a->engine != KD_ENGINE_FILE)
			return usage_error("%s", "-r replays a file: it does not go with -e");
		if (a->cmd)
			return usage_error("%s", "-r replays a file: it does not run a command");
		if (a->stacks)
			return usage_error("%s", "--stacks needs a live capture: files keep stack ids, not stacks");
		a->engine = KD_ENGINE_FILE;
	} else if (a->engine == KD_ENGINE_FILE) {
		return usage_error("%s", "the file engine needs -r FILE");
	}
	return -1;
}

static int list_events(void)
{
	size_t n = kd_event_type_count();

	for (size_t i = 0; i < n; i++) {
		int t = kd_event_type_at(i);
		int np = kd_event_type_nparams(t);
		if (t < 0 || np < 0)
			continue;
		printf("%s %s", kd_event_type_name(t), kd_category_name(kd_event_type_category(t)));
		for (int p = 0; p < np; p++)
			printf(" %s:%s", kd_event_type_param_name(t, (unsigned)p),
			       kd_param_kind_name(kd_event_type_param_kind(t, (unsigned)p)));
		putchar('\n');
	}
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return errno == EPIPE ? 0 : 1;
}

/* Probes belong to an engine: open it (with -E as given) to list them. */
static int list_probes(const struct args *a)
{
	struct kd_handle *h = NULL;
	KD_OPTS(kd_open_opts, o, .engine = a->engine, .events = a->events, .file = a->read_file);
	int err = kd_open(&o, &h);

	if (err < 0) {
		fprintf(stderr, "kdump: cannot open the %s engine: %s: %s\n", kd_engine_name(a->engine),
			kd_strerror(err), kd_last_error(NULL));
		return 1;
	}
	for (int i = 0; i < kd_probe_count(h); i++)
		printf("%s %s %s\n", kd_probe_name(h, i), kd_probe_state(h, i) ? "on" : "off",
		       kd_probe_attach_method(h, i));
	kd_close(h);
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	return errno == EPIPE ? 0 : 1;
}

static void on_stop(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	stop_sig = sig;
	stop_count++;
	stop_from_user = si && si->si_code == SI_USER;
}

static void on_chld(int sig)
{
	(void)sig;
	child_changed = 1;
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL); /* EPIPE on stdout instead: exit quietly */

	sa.sa_handler = NULL;
	sa.sa_sigaction = on_stop;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: a blocked kd_next returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

/* The file execvp() would run for name, found before the fork as strace
 * does: the command then makes one execve, not one per PATH entry that
 * lacks it (events that are kdump's launcher, not the command). Empty
 * when name has no '/' and no PATH entry has it: execvp() says why. */
static void resolve_cmd(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *d, *end;
	struct stat st;

	out[0] = '\0';
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return;
	}
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's default */
	for (d = path;; d = end + 1) {
		end = strchr(d, ':');
		if (!end)
			end = d + strlen(d);
		int dl = (int)(end - d);
		/* an empty entry is the current directory */
		if ((size_t)snprintf(out, len, "%.*s%s%s", dl, dl ? d : ".", "/", name) < len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return;
		out[0] = '\0';
		if (!*end)
			return;
	}
}

/* The child blocks on the pipe until the capture is open, so its first
 * syscalls are seen; EOF on the pipe means kdump gave up. */
static pid_t spawn_child(char **cmd, int *go_fd)
{
	char file[PATH_MAX];
	int p[2];

	exec_stamp = mmap(NULL, sizeof(*exec_stamp), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (exec_stamp == MAP_FAILED) {
		exec_stamp = NULL;
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	resolve_cmd(cmd[0], file, sizeof(file));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char c;
		close(p[1]);
		signal(SIGPIPE, SIG_DFL); /* ignored dispositions survive exec */
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no syscall to trace */
		*exec_stamp = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		if (file[0])
			execv(file, cmd);
		/* not found, or a script without #! (execvp runs those with sh) */
		execvp(cmd[0], cmd);
		int e = errno;
		fprintf(stderr, "kdump: cannot run %s: %s\n", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

static bool before_exec(const struct kd_event *ev, pid_t child)
{
	uint64_t at = *exec_stamp;
	return kd_event_pid(ev) == (uint32_t)child && (!at || kd_event_ts_mono(ev) < at);
}

static int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

static void on_log(int level, const char *msg, void *ctx)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	(void)ctx;
	fprintf(stderr, "kdump: %s: %s\n", level >= 0 && level <= 3 ? names[level] : "log", msg);
}

/* hidden: events kdump took out itself (the command's own before its exec,
 * which are kdump's: counted as filtered, as the library counts its own
 * process), so the line adds up with what was shown and written. late: the
 * one event read past a stop (later than it), not shown: still in the
 * buffers as far as the user is concerned. */
/* h's counters as kdump reports them: the command's own syscalls before its
 * exec (hidden) count as filtered, and events after a stop (late) as still
 * in the buffers. What the end line says and what -w's file keeps. */
static int kdump_stats(struct kd_handle *h, uint64_t hidden, uint64_t late, struct kd_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->sz = sizeof(*st);
	if (kd_stats(h, st) < 0)
		return -1;
	hidden = hidden < st->events ? hidden : st->events;
	st->events -= hidden;
	st->kernel_events -= hidden < st->kernel_events ? hidden : st->kernel_events;
	st->filtered += hidden;
	st->events -= late < st->events ? late : st->events;
	return 0;
}

/* The end line, from kdump_stats(): the one snapshot -w's file keeps too. */
static void print_stats(struct kd_handle *h, struct kd_stats st)
{
	static const char *const reasons[KD_DROP__MAX] = {
		[KD_DROP_BUFFER_FULL] = "buffer_full", [KD_DROP_TOO_BIG] = "too_big",
		[KD_DROP_RECURSION] = "recursion",     [KD_DROP_NO_STATE] = "no_state",
		[KD_DROP_INVALID] = "invalid",
	};
	fprintf(stderr, "kdump: %" PRIu64 " events, %" PRIu64 " drops", st.events, st.drops);
	const char *sep = " (";
	for (int r = 0; r < KD_DROP__MAX; r++) {
		if (!reasons[r] && !st.drops_by_reason[r])
			continue;
		fprintf(stderr, "%s%s %" PRIu64, sep, reasons[r] ? reasons[r] : "other",
			st.drops_by_reason[r]);
		sep = ", ";
	}
	fprintf(stderr, "), %" PRIu64 " kernel events", st.kernel_events);
	/* the kernel writes on after a stop (-d, -n, Ctrl-C): say how many
	 * later events were left in the buffers, so the line adds up */
	if (st.kernel_events > st.events + st.drops)
		fprintf(stderr, " (%" PRIu64 " still in the buffers when kdump stopped)",
			st.kernel_events - st.events - st.drops);
	fprintf(stderr, ", %" PRIu64 " filtered, ", st.filtered);
	if (st.enrich_events)
		fprintf(stderr, "%" PRIu64 " followed for enrichment, ", st.enrich_events);
	fprintf(stderr, "engine %s\n", kd_engine_name(kd_handle_engine(h)));
	if (st.filtered_task || st.filtered_path)
		fprintf(stderr, "kdump: dropped by filters in the kernel: %" PRIu64 " by task, %" PRIu64
			" by path\n", st.filtered_task, st.filtered_path);
}

/* Hidden test hook, not an option: KDUMP_TEST_RECORDS names a file of raw
 * records (drivers/record.h) replayed through KD_ENGINE_BUFFER, so tests can
 * check the rendering of crafted events before a capture file exists. */
static void *load_test_records(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *d = realloc(data, cap = cap ? cap * 2 : 4096);
			if (!d)
				break;
			data = d;
		}
		size_t got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	bool ok = !ferror(f);
	fclose(f);
	if (!ok || !data) {
		free(data);
		return NULL;
	}
	*len = n;
	return data;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC ns, the clock of kd_event_ts_mono(). */
static uint64_t now_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Writes one rendered line; false once the output is gone (EPIPE) or failing. */
static bool emit(struct kdump_out *out, struct kdump_buf *b)
{
	if (b->oom) {
		errno = ENOMEM;
		return false;
	}
	return kdump_out_line(out, b->s, b->len);
}

static bool decode_error(int err)
{
	return err == KD_ETRUNCATED || err == KD_EBADLEN || err == KD_EBADPARAMS ||
	       err == KD_EUNKNOWN || err == KD_ESCHEMA;
}

int main(int argc, char **argv)
{
	struct args a = {.engine = KD_ENGINE_AUTO};
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	setup_signals();
	if (a.list_events)
		return list_events();
	if (a.list_probes)
		return list_probes(&a);

	void *test_records = NULL;
	size_t test_len = 0;
	const char *test_path = getenv("KDUMP_TEST_RECORDS");
	bool live = !a.read_file && !test_path, damaged = false;

	KD_OPTS(kd_open_opts, o, .engine = a.engine, .timeout_ms = 100, .snaplen = a.snaplen,
		.events = a.events, .log = on_log,
		.log_level = KD_LOG_WARN);
	if (a.read_file)
		o.file = a.read_file;
	if (test_path) {
		test_records = load_test_records(test_path, &test_len);
		if (!test_records) {
			fprintf(stderr, "kdump: cannot read %s: %s\n", test_path, strerror(errno));
			return 1;
		}
		o.engine = KD_ENGINE_BUFFER;
		o.records = test_records;
		o.records_len = test_len;
	}
	/* live, -p names processes of this machine: one that is not there is a
	 * typo or already gone, said now rather than as an empty capture */
	for (size_t i = 0; live && i < a.npids; i++) {
		if (kill(a.pids[i], 0) < 0 && errno == ESRCH) {
			fprintf(stderr, "kdump: -p %d: no such process\n", (int)a.pids[i]);
			free(test_records);
			return 1;
		}
	}
	/* before the child starts: it must not inherit the file */
	int out_fd = STDOUT_FILENO;
	if (a.out_file) {
		out_fd = open(a.out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out_fd < 0) {
			fprintf(stderr, "kdump: cannot write %s: %s\n", a.out_file, strerror(errno));
			free(test_records);
			return 1;
		}
	}
	if (live && !a.no_latency)
		o.flags |= KD_OPEN_LATENCY;
	if (live && a.stacks)
		o.flags |= KD_OPEN_STACKS;

	pid_t child = -1;
	int go_fd = -1;
	if (a.cmd) {
		child = spawn_child(a.cmd, &go_fd);
		if (child < 0) {
			fprintf(stderr, "kdump: cannot start %s: %s\n", a.cmd[0], strerror(errno));
			free(test_records);
			return 1;
		}
		a.pids[a.npids++] = child;
	}
	if (a.npids) {
		o.pids = a.pids;
		o.npids = a.npids;
	}
	KD_OPTS(kd_filter, filter, .comms = a.comms, .ncomms = a.ncomms, .cgroups = a.cgroups,
		.ncgroups = a.ncgroups, .paths = a.paths, .npaths = a.npaths);
	if (a.ncomms || a.ncgroups || a.npaths)
		o.filter = &filter;

	struct kd_handle *h = NULL;
	int err = kd_open(&o, &h);
	if (err < 0) {
		const char *why = kd_last_error(NULL);
		fprintf(stderr, "kdump: cannot open the %s engine: %s%s%s\n",
			kd_engine_name(o.engine), kd_strerror(err), *why ? ": " : "", why);
		if (child > 0) {
			close(go_fd); /* the child reads EOF and exits */
			waitpid(child, NULL, 0);
		}
		free(test_records);
		return 1;
	}
	/* -w writes what kdump shows, through kd_dump: the child's wait for
	 * the go signal before its exec stays out of the file as out of the output */
	struct kd_dump *dump = NULL;
	if (a.write_file && (err = kd_dump_open(a.write_file, NULL, &dump)) < 0) {
		fprintf(stderr, "kdump: cannot write %s: %s: %s\n", a.write_file, kd_strerror(err),
			kd_last_error(NULL));
		if (child > 0) {
			close(go_fd);
			waitpid(child, NULL, 0);
		}
		kd_close(h);
		free(test_records);
		return 1;
	}
	if (child > 0) {
		(void)!write(go_fd, "g", 1);
		close(go_fd);
	}

	struct kdump_comm *comm = kdump_comm_new(live);
	struct kdump_stacks *stacks = live && a.stacks ? kdump_stacks_new(h) : NULL;
	struct kdump_buf line = {0};
	struct kdump_out out;
	kdump_out_init(&out, out_fd);
	/* CLOCK_MONOTONIC ns, as stop_at (duration <= 1e9 s fits) */
	uint64_t deadline = a.duration > 0 ? now_mono_ns() + (uint64_t)(a.duration * 1e9) : 0;
	uint64_t seen = 0, hidden = 0, late = 0, since_clock = 0;
	/* -d or a first SIGINT/SIGTERM on a live capture: what happened before
	 * the stop is still delivered (the consumer sleeps between wake marks,
	 * so up to 2 MiB per CPU can be waiting); a second signal cuts it short */
	uint64_t stop_at = 0;
	bool child_done = false, out_gone = false;
	int out_errno = 0;
	int child_status = 0;
	rc = 0;

	for (;;) {
		const struct kd_event *ev;

		if (stop_sig && (!live || stop_count > 1))
			break;
		if (stop_sig && !stop_at)
			stop_at = now_mono_ns();

		if (child > 0 && !child_done && child_changed) {
			child_changed = 0;
			if (waitpid(child, &child_status, WNOHANG) == child)
				child_done = true;
		}
		err = kd_next(h, &ev);
		if (err == 0 && stop_at && kd_event_ts_mono(ev) > stop_at) {
			late = 1;
			break;
		}
		if (err == 0 && child > 0 && before_exec(ev, child)) {
			hidden++;
			continue;
		}
		if (err == 0) {
			seen++;
			if (dump && (err = kd_dump_event(dump, ev)) < 0) {
				fprintf(stderr, "kdump: writing %s: %s: %s\n", a.write_file,
					kd_strerror(err), kd_dump_last_error(dump));
				rc = 1;
				break;
			}
			if (!a.quiet) {
				line.len = 0;
				const char *cm = kdump_comm_get(comm, ev);
				if (a.json)
					kdump_json_event(&line, ev, cm);
				else
					kdump_text_event(&line, ev, cm);
				kdump_stacks_put(stacks, &line, ev, a.json);
				if (!emit(&out, &line)) {
					out_gone = true;
					out_errno = errno;
					break;
				}
			}
			if (a.count && seen >= a.count)
				break;
		} else if (err == KD_TIMEOUT) {
			if (!kdump_out_flush(&out)) {
				out_gone = true;
				out_errno = errno;
				break;
			}
			/* the child is gone (or kdump stops) and the last events
			 * are drained */
			if (child_done || stop_at)
				break;
		} else if (err == KD_EOF) {
			break;
		} else if (err == -EINTR) {
			continue;
		} else if (decode_error(err) || err == KD_EBADFILE) {
			/* counted as drops (invalid) by the library; said here, never silent.
			 * A damaged file is still read to its end, then exits 1 */
			fprintf(stderr, "kdump: skipped: %s: %s\n", kd_strerror(err), kd_last_error(h));
			if (!live)
				damaged = true;
			continue;
		} else {
			fprintf(stderr, "kdump: capture failed: %s%s%s\n", kd_strerror(err),
				*kd_last_error(h) ? ": " : "", kd_last_error(h));
			rc = 1;
			break;
		}
		/* the precise clock per event took an eighth of -q's time. A
		 * live event's own time says it for free; else the coarse clock
		 * (a tick behind at most) when kd_next had none, and every 64
		 * events (a backlog's times are behind, a replay's are another
		 * boot's) */
		if (deadline && !stop_at) {
			bool past = live && err == 0 && kd_event_ts_mono(ev) >= deadline;

			if (!past && (err != 0 || ++since_clock % 64 == 0))
				past = clock_ns(CLOCK_MONOTONIC_COARSE) >= deadline;
			if (past) {
				if (!live)
					break;
				stop_at = now_mono_ns();
			}
		}
	}

	if (!out_gone && !kdump_out_flush(&out)) {
		out_gone = true;
		out_errno = errno;
	}
	if (out_fd != STDOUT_FILENO && close(out_fd) != 0 && !out_gone) {
		out_gone = true;
		out_errno = errno;
	}
	bool pipe_closed = out_gone && out_errno == EPIPE;
	if (out_gone && !pipe_closed) {
		fprintf(stderr, "kdump: writing output: %s\n", strerror(out_errno));
		rc = 1;
	}
	/* the capture's final counts, taken once: the end line says them and
	 * -w's file keeps them, so a replay says what this run lost */
	struct kd_stats fst;
	bool have_stats = kdump_stats(h, hidden, late, &fst) == 0;
	if (dump && have_stats && (err = kd_dump_stats(dump, &fst)) < 0) {
		fprintf(stderr, "kdump: writing the stats to %s: %s: %s\n", a.write_file,
			kd_strerror(err), kd_dump_last_error(dump));
		rc = 1;
	}
	if (dump && (err = kd_dump_close(dump)) < 0) {
		fprintf(stderr, "kdump: finishing %s: %s\n", a.write_file, kd_strerror(err));
		rc = 1;
	}
	if (!pipe_closed && have_stats)
		print_stats(h, fst);
	if (damaged && !rc)
		rc = 1;
	kd_close(h);
	kdump_buf_free(&line);
	kdump_comm_free(comm);
	kdump_stacks_free(stacks);
	free(test_records);

	if (pipe_closed)
		return 0;
	if (child > 0) {
		/* stopped early (-n, -d, a signal): the child is not ours to kill,
		 * except to pass on a kill() aimed at kdump */
		if (!child_done) {
			if (stop_sig && stop_from_user)
				kill(child, stop_sig);
			while (waitpid(child, &child_status, 0) < 0 && errno == EINTR)
				;
		}
		return rc ? rc : exit_status(child_status);
	}
	return rc;
}
