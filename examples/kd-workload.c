/*
 * examples/kd-workload.c: a small, deterministic workload to capture.
 *
 *   kd-workload          runs the three steps below and prints one line each
 *
 *   1. files:   in a fresh temp dir: create notes.txt, write it, read it back,
 *               rename it to notes.old, unlink it, remove the dir
 *   2. network: an HTTP-ish exchange on 127.0.0.1: the process listens on an
 *               ephemeral port and forks a server child; the parent connects,
 *               sends "GET / HTTP/1.0", the child replies "HTTP/1.0 200 OK" and
 *               both close
 *   3. process: vfork, the child execs /bin/true with an empty environment, the
 *               parent waits for it
 *
 * It needs nothing but libc (no shell, no tools), so a capture of it looks the
 * same on every machine except for pids, ports, times and the temp dir name.
 * examples/demo.kd was recorded from it (examples/README.md); tests/
 * test_capture_live.c runs it under a live capture. Exit status 0 on success,
 * 1 with a message on stderr when a step fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQUEST "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
#define REPLY "HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\nhello kindling\n"
#define NOTES "kindling was here\n"

static int fail(const char *what)
{
	fprintf(stderr, "kd-workload: %s: %s\n", what, strerror(errno));
	return 1;
}

/* stdout unbuffered-by-hand: one write(1, ...) per line shows in the capture */
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		return;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int step_files(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], a[300], b[300], buf[64];
	ssize_t n;
	int fd;

	snprintf(dir, sizeof(dir), "%s/kd-workload-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return fail("mkdtemp");
	snprintf(a, sizeof(a), "%s/notes.txt", dir);
	snprintf(b, sizeof(b), "%s/notes.old", dir);

	fd = open(a, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return fail("create notes.txt");
	if (write_all(fd, NOTES, strlen(NOTES)) != 0)
		return fail("write notes.txt");
	close(fd);

	fd = open(a, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open notes.txt");
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)strlen(NOTES) || memcmp(buf, NOTES, (size_t)n) != 0) {
		errno = EIO;
		return fail("read notes.txt back");
	}
	if (rename(a, b) != 0)
		return fail("rename notes.txt");
	if (unlink(b) != 0)
		return fail("unlink notes.old");
	if (rmdir(dir) != 0)
		return fail("rmdir");
	say("files: wrote, read, renamed and removed %s/notes.txt\n", dir);
	return 0;
}

/* The forked server: one connection, one request, one reply. */
static int serve(int lfd)
{
	char req[256];
	ssize_t n;
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	close(lfd);
	if (c < 0)
		return fail("accept");
	n = read(c, req, sizeof(req) - 1);
	if (n <= 0 || strncmp(req, "GET / HTTP/1.0", 14) != 0) {
		errno = EPROTO;
		return fail("server: bad request");
	}
	if (write_all(c, REPLY, strlen(REPLY)) != 0)
		return fail("server: write reply");
	close(c);
	return 0;
}

static int step_network(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	char reply[256];
	size_t got = 0;
	ssize_t n;
	int lfd, fd, status;
	pid_t pid;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return fail("socket");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0)
		return fail("listen on 127.0.0.1");
	pid = fork();
	if (pid < 0)
		return fail("fork server");
	if (pid == 0)
		_exit(serve(lfd));
	close(lfd);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return fail("connect");
	if (write_all(fd, REQUEST, strlen(REQUEST)) != 0)
		return fail("client: write request");
	while (got < sizeof(reply) - 1 && (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return fail("server child failed");
	}
	reply[got] = '\0';
	if (strncmp(reply, "HTTP/1.0 200 OK", 15) != 0) {
		errno = EPROTO;
		return fail("client: bad reply");
	}
	say("network: GET / on 127.0.0.1:%u answered \"HTTP/1.0 200 OK\"\n", ntohs(sa.sin_port));
	return 0;
}

static int step_process(void)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL }; /* nothing of the caller's environment in a capture */
	const char *prog = access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
	int status;
	/* vfork, as posix_spawn does: the child runs, and execs, before the
	 * parent's vfork returns */
	pid_t pid = vfork();

	if (pid < 0)
		return fail("vfork");
	if (pid == 0) {
		execve(prog, argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return fail("exec of true");
	}
	say("process: vforked and exec'd %s, exit status 0\n", prog);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: kd-workload (no arguments): see examples/README.md\n");
		return 2;
	}
	if (step_files() || step_network() || step_process())
		return 1;
	return 0;
}
