/*
 * lib/core/schema_kinds.h: what each param kind, category and storage type
 * means, as X-macro data. Shared by lib/core/schema.c and kd-schemagen, so it
 * needs nothing but drivers/record.h (the generator runs before
 * kindling/events.h exists). schema.c asserts the order against the enums of
 * kindling.h.
 */
#ifndef KD_SCHEMA_KINDS_H
#define KD_SCHEMA_KINDS_H

#include "record.h"

/*
 * X(KIND, name, wire, cap, size, ctype, meaning), in enum kd_param_kind order.
 *   wire   KD_WIRE_* without the prefix: how the record stores it
 *   cap    KD_CAP_* without the prefix: how the kernel side reads it
 *   size   struct size for cap FIXED, else 0
 *   ctype  C type of the argument, NULL when the ctype column decides
 */
#define KD__KINDS(X)                                                                          \
	X(INT, "int", VAL, VAL, 0, NULL, "signed integer")                                    \
	X(UINT, "uint", VAL, VAL, 0, NULL, "unsigned integer")                                \
	X(HEX, "hex", VAL, VAL, 0, NULL, "integer shown in hex")                              \
	X(FD, "fd", VAL, VAL, 0, NULL, "file descriptor")                                     \
	X(DIRFD, "dirfd", VAL, VAL, 0, NULL, "directory fd or AT_FDCWD")                      \
	X(PID, "pid", VAL, VAL, 0, NULL, "process or thread id")                              \
	X(UID, "uid", VAL, VAL, 0, NULL, "user id")                                           \
	X(GID, "gid", VAL, VAL, 0, NULL, "group id")                                          \
	X(SIGNAL, "signal", VAL, VAL, 0, NULL, "signal number")                               \
	X(FLAGS, "flags", VAL, VAL, 0, NULL, "bit flags")                                     \
	X(ENUM, "enum", VAL, VAL, 0, NULL, "one value of a set")                              \
	X(MODE, "mode", VAL, VAL, 0, NULL, "file mode bits")                                  \
	X(PTR, "ptr", VAL, VAL, 0, "void *", "user address, not followed")                    \
	X(SIZE, "size", VAL, VAL, 0, NULL, "size or count")                                   \
	X(OFFSET, "offset", VAL, VAL, 0, NULL, "file offset")                                 \
	X(PATH, "path", STR, STR, 0, "const char *", "path (string)")                         \
	X(STR, "str", STR, STR, 0, "const char *", "string")                                  \
	X(BUF, "buf", BYTES, BUF, 0, "void *", "user buffer")                                 \
	X(SOCKADDR, "sockaddr", BYTES, SOCKADDR, 0, "struct sockaddr *", "sockaddr")          \
	X(IOVEC, "iovec", BYTES, IOVEC, 0, "const struct iovec *", "data of an iovec array")  \
	X(ARGV, "argv", STRARR, STRARR, 0, "const char *const *", "string array")             \
	X(TIMESPEC, "timespec", BYTES, FIXED, 16, "struct timespec *", "struct timespec")     \
	X(TIMEVAL, "timeval", BYTES, FIXED, 16, "struct timeval *", "struct timeval")         \
	X(ITIMERSPEC, "itimerspec", BYTES, FIXED, 32, "struct itimerspec *",                  \
	  "struct itimerspec")                                                                \
	X(ITIMERVAL, "itimerval", BYTES, FIXED, 32, "struct itimerval *", "struct itimerval") \
	X(FDPAIR, "fdpair", BYTES, FIXED, 8, "int *", "pair of fds (int[2])")                 \
	X(SIGSET, "sigset", BYTES, FIXED, 8, "sigset_t *", "signal set")                      \
	X(RLIMIT, "rlimit", BYTES, FIXED, 16, "struct rlimit *", "struct rlimit")             \
	X(ERRNO, "errno", VAL, VAL, 0, NULL, "errno value")                                   \
	X(SOCKTUPLE, "socktuple", BYTES, SOCKTUPLE, 0, "struct kd_sock_tuple",                \
	  "socket tuple read from the kernel at exit (not an argument)")                   \
	X(PFLAGS, "pflags", VAL, UVAL64, 0, NULL,                                             \
	  "bit flags read through a pointer argument at exit (not an argument)")               \
	X(WSTATUS, "wstatus", BYTES, WSTATUS, 0, "int",                                       \
	  "wait status read through a pointer argument at exit (not an argument)")            \
	X(POLLFDS, "pollfds", BYTES, POLLFD, 0, "struct pollfd *",                            \
	  "struct pollfd array read through a pointer argument at exit (not an argument)")    \
	X(SIGACTION, "sigaction", BYTES, FIXED, 32, "struct sigaction *",                     \
	  "struct sigaction read through a pointer argument at exit (not an argument)")        \
	X(CHLDINFO, "chldinfo", BYTES, FIXED, 32, "siginfo_t *",                              \
	  "a child's siginfo (code, pid, uid, status) read through a pointer argument at exit " \
	  "(not an argument)")                                                                 \
	X(STAT, "stat", BYTES, FIXED, 120, "struct stat *",                                   \
	  "struct stat read through a pointer argument at exit (not an argument)")             \
	X(STATX, "statx", BYTES, FIXED, 144, "struct statx *",                                \
	  "struct statx read through a pointer argument at exit (not an argument)")            \
	X(EPOLLEVENT, "epollevent", BYTES, FIXED, 12, "struct epoll_event *",                 \
	  "struct epoll_event read through a pointer argument at exit (not an argument)")      \
	X(EPOLLEVENTS, "epollevents", BYTES, EPOLLEV, 0, "struct epoll_event *",              \
	  "struct epoll_event array the call filled, read at exit (not an argument)")          \
	X(SOCKOPT, "sockopt", VAL, VAL, 0, NULL, "socket option, named by the level before it") \
	X(OPENHOW, "openhow", BYTES, FIXED, 24, "struct open_how *",                          \
	  "struct open_how read through a pointer argument at exit (not an argument)")         \
	X(DIRENTS, "dirents", BYTES, BUF, 0, "struct linux_dirent64 *",                       \
	  "directory entries (struct linux_dirent64), up to snaplen")                          \
	X(FCNTLARG, "fcntlarg", VAL, VAL, 0, NULL, "fcntl's arg, read as the cmd before it says") \
	X(FLOCK, "flock", BYTES, FIXED, 32, "struct flock *",                                 \
	  "struct flock read through a pointer argument at exit (not an argument)")            \
	X(FDSETS, "fdsets", BYTES, FDSETS, 0, "fd_set *",                                      \
	  "the fd sets the call left (the ready fds), read at exit (not an argument)")          \
	X(IOCTLDATA, "ioctldata", BYTES, IOCTL, 0, "void *",                                   \
	  "what ioctl's arg points to for the commands kindling knows (termios, winsize, an "   \
	  "int), read at exit (not an argument)")                                             \
	X(MMSGS, "mmsgs", BYTES, MMSGS, 0, "struct mmsghdr *",                                 \
	  "the messages the call moved, each with its length, address and data, read at "      \
	  "exit (not an argument)")

/* X(CAT, name), in enum kd_category order. */
#define KD__CATEGORIES(X)                                                                     \
	X(UNKNOWN, "unknown")                                                                 \
	X(FILE, "file")                                                                       \
	X(NET, "net")                                                                         \
	X(PROCESS, "process")                                                                 \
	X(MEMORY, "memory")                                                                   \
	X(IPC, "ipc")                                                                         \
	X(SIGNAL, "signal")                                                                   \
	X(TIME, "time")                                                                       \
	X(SECURITY, "security")                                                               \
	X(SYSTEM, "system")                                                                   \
	X(SCHED, "sched")

/* X(CT, C type), in enum kd__ctype order; PTR storage of an integer kind is
 * shown as unsigned long. */
#define KD__CTYPES(X)                                                                         \
	X(I32, "int")                                                                         \
	X(U32, "unsigned int")                                                                \
	X(I64, "long")                                                                        \
	X(U64, "unsigned long")                                                               \
	X(PTR, "unsigned long")

#endif
