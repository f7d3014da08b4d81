/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * drivers/record.h: the one record format every backend emits and userspace
 * decodes. Included by BPF programs, the kernel module and the library, so it
 * uses only fixed-width types and no libc.
 *
 *   struct kd_rec_hdr   48 bytes, 8-byte aligned
 *   __u16 plen[nparams] length of each parameter's bytes
 *   param bytes         concatenated, in parameter order, no padding
 *
 * hdr.len counts all three parts. Userspace never trusts any of it: every
 * length is checked against the buffer before use (lib/core/decode.c).
 */
#ifndef KD_DRIVERS_RECORD_H
#define KD_DRIVERS_RECORD_H

#if defined(__KERNEL__) || defined(__bpf__) || defined(__BPF__)
/* kernel and BPF builds bring __u8.. from vmlinux.h or linux/types.h */
#else
#include <linux/types.h>
#endif

/* Bumped whenever the record layout changes (not for new event ids). */
#define KD_RECORD_VERSION 1

/* Schema version: bumped when events or params are appended. Records carry it
 * so a decoder knows which table produced them.
 *   1  first schema
 *   2  a synthetic "tuple" param (KD_CAP_SOCKTUPLE) appended to connect,
 *      accept, accept4, bind and listen; a synthetic "flags" param
 *      (KD_CAP_UVAL64: struct clone_args.flags) appended to clone3;
 *      sched_offcpu gains kstack_id, ustack_id
 *   3  proc_exec gains args (the new image's argv, from its memory)
 *   4  sendmsg gains addr, data and tuple, recvmsg addr and data (read
 *      through the msghdr, KD_LEN_MSG), sendto a tuple (its 7th param);
 *      packet_drop gains reason_name (the producing kernel's name of it);
 *      wait4 gains status (KD_CAP_WSTATUS)
 *   5  poll and ppoll gain fds (KD_CAP_POLLFD: the pollfd array with the
 *      revents the call returned); sendmmsg and recvmmsg gain addr and
 *      data, of their first message (KD_LEN_MMSG), sendmmsg a tuple;
 *      rt_sigaction gains action and old_action (KD_LEN_PTR, PTR_OUT),
 *      waitid info
 *   6  stat, fstat, lstat and newfstatat gain stat (the struct stat they
 *      wrote), statx its struct statx, as stat (KD_LEN_PTR_OUT);
 *      epoll_ctl gains ev (its struct epoll_event, KD_LEN_PTR), epoll_wait,
 *      epoll_pwait and epoll_pwait2 ready (KD_CAP_EPOLLEV); openat2 gains
 *      open_how (its struct open_how, KD_LEN_PTR)
 *   7  fcntl gains lock (the struct flock of a lock command, KD_LEN_LOCK)
 *   8  select and pselect6 gain ready (KD_CAP_FDSETS: the fd sets as the
 *      call left them); ioctl gains data (KD_CAP_IOCTL: what arg points to
 *      for the tty and fd commands it knows)
 *   9  sendmmsg and recvmmsg gain msgs (KD_CAP_MMSGS: every message the
 *      call moved, up to KD_MMSG_MAX, with its length, address and data)
 *  10  futex's utime holds the register (8 bytes) for the commands without
 *      a timeout, where it was empty: val2 of the requeue and wake-op
 *      commands (KD_LEN_RAW) */
#define KD_SCHEMA_VERSION 10

struct kd_rec_hdr {
	__u64 ts;        /* CLOCK_MONOTONIC ns; the core converts to epoch */
	__s64 res;       /* syscall return value; 0 for other events */
	__u64 latency;   /* exit - entry ns when measured, else 0 */
	__u32 tid;       /* kernel pid of the thread */
	__u32 pid;       /* thread group id */
	__u32 len;       /* whole record: header + plen[] + param bytes */
	__u16 type;      /* stable event id from schema/ */
	__u16 cpu;
	__u16 nparams;
	__u16 schema;    /* KD_SCHEMA_VERSION of the producer */
	__u32 flags;     /* KD_RF_* */
};

/* hdr.flags */
#define KD_RF_TRUNCATED   (1u << 0) /* a param hit snaplen or a string limit */
#define KD_RF_READ_FAULT  (1u << 1) /* a user pointer could not be read */
#define KD_RF_AT_ENTRY    (1u << 2) /* emitted at entry (no exit: exit_group) */
#define KD_RF_LATENCY     (1u << 3) /* latency field is valid */

#define KD_REC_HDR_SIZE   48u
#define KD_REC_MAX_PARAMS 16u
/* A param length is a __u16; snaplen is capped so that it fits. */
#define KD_PARAM_MAX_LEN  65535u
/* One record never exceeds this (header, lengths and params). */
#define KD_REC_MAX_LEN    (256u * 1024u)

/*
 * How each param kind is stored (the "wire kind"), chosen by the schema:
 *   VAL     8 bytes, the raw register value (little endian), sign and width
 *           applied by the decoder from the param's C type
 *   STR     bytes of a NUL-terminated string including the NUL; len 0 means
 *           a NULL or unreadable pointer, len 1 an empty string
 *   BYTES   raw bytes (buffers, sockaddrs, structs, iovec data), possibly
 *           shorter than the object when truncated to snaplen
 *   STRARR  a sequence of NUL-terminated strings (argv, envp)
 */
#define KD_WIRE_VAL    0
#define KD_WIRE_STR    1
#define KD_WIRE_BYTES  2
#define KD_WIRE_STRARR 3

/*
 * Kernel-side capture description of one syscall, generated from the schema
 * and handed to the drivers (BPF: an array map indexed by syscall number).
 * cap says how to read each argument, aux where its length comes from.
 */
#define KD_CAP_VAL       0  /* register value */
#define KD_CAP_STR       1  /* user string, up to KD_STR_MAX */
#define KD_CAP_BUF       2  /* user buffer, length per aux, up to snaplen */
#define KD_CAP_SOCKADDR  3  /* sockaddr, length per aux, up to 128 */
#define KD_CAP_IOVEC     4  /* iovec array (count in aux arg), data up to snaplen */
#define KD_CAP_STRARR    5  /* NULL-terminated char *[], bounded */
#define KD_CAP_FIXED     6  /* user struct of .size bytes (timespec, int[2]...) */
/* Not a syscall argument: the socket behind an fd as the kernel has it at
 * exit (struct kd_socktuple); aux says where the fd is: KD_LEN_ARG(i) or
 * KD_LEN_RET (accept). Length 0 when the fd is no socket, or the call failed
 * with anything but EINPROGRESS. */
#define KD_CAP_SOCKTUPLE 7
/* Not a syscall argument either: the u64 the user pointer in argument aux
 * (KD_LEN_ARG(i)) points to, read at exit and stored as a register value
 * (clone3's clone_args.flags); 0 with KD_RF_READ_FAULT when unreadable. A
 * clone3 child sharing its parent's memory (a thread) returns with the value
 * its parent's fork read: that memory is the parent's again by then. */
#define KD_CAP_UVAL64    8
/* Not a syscall argument: the int the user pointer in argument aux
 * (KD_LEN_ARG(i)) points to, 4 bytes, read at exit only when the call
 * returned > 0 (wait4 reported a child and wrote its status); else none. */
#define KD_CAP_WSTATUS   9
/* Not a syscall argument: the struct pollfd array the user pointer in
 * argument aux (KD_LEN_ARG(i)) points to, argument i+1 entries of 8 bytes,
 * up to KD_POLLFD_MAX (then KD_RF_TRUNCATED), read at exit. */
#define KD_CAP_POLLFD    10
/* Not a syscall argument: the struct epoll_event array the user pointer in
 * argument aux (KD_LEN_ARG(i)) points to, as many entries as the call
 * returned (when > 0), 12 bytes each (the struct is packed on x86-64: u32
 * events, u64 data), up to KD_EPOLLEV_MAX (then KD_RF_TRUNCATED), read at
 * exit: the events epoll_wait reported. */
#define KD_CAP_EPOLLEV   11
/* Not a syscall argument: select's and pselect6's fd sets as the call left
 * them (the ready fds), read at exit when it returned > 0; argument aux
 * (KD_LEN_ARG(i)) is n, the sets are arguments 1, 2 and 3 (in, out, ex).
 * Wire: u32 fds covered (n, at most KD_FDSET_MAX_FDS, then
 * KD_RF_TRUNCATED), u8 the sets that follow (bit 0 in, 1 out, 2 ex: those
 * given and read), 3 zero bytes, then each of them in that order, as the
 * kernel's fd_set: ((fds + 63) / 64) * 8 bytes, fd f at bit f % 64 of u64
 * f / 64, little endian. */
#define KD_CAP_FDSETS    12
#define KD_FDSET_MAX_FDS 1024u
#define KD_FDSETS_HDR    8u
#define KD_FDSET_BYTES(fds) ((((fds) + 63) / 64) * 8)
/* Not a syscall argument: what ioctl's arg (argument aux names, KD_LEN_ARG(i);
 * cmd is argument i - 1) points to, for the commands of KD_IOCTL_ARGS, read
 * at exit: a command the kernel answers through it (out) only when the call
 * succeeded, one that hands the kernel something always. Its size says what
 * it is: 4 bytes an int, 8 a struct winsize (u16 ws_row, ws_col, ws_xpixel,
 * ws_ypixel), 36 the kernel's struct termios (u32 c_iflag, c_oflag, c_cflag,
 * c_lflag, u8 c_line, u8 c_cc[19]). None for any other command. */
#define KD_CAP_IOCTL     13
/* X(cmd, bytes, out): x86-64 values (tests/test_flags.c checks them
 * against <sys/ioctl.h>) */
#define KD_IOCTL_ARGS(X)                                                          \
	X(0x5401, 36, 1) /* TCGETS */                                             \
	X(0x5402, 36, 0) /* TCSETS */                                             \
	X(0x5403, 36, 0) /* TCSETSW */                                            \
	X(0x5404, 36, 0) /* TCSETSF */                                            \
	X(0x540f, 4, 1)  /* TIOCGPGRP */                                          \
	X(0x5410, 4, 0)  /* TIOCSPGRP */                                          \
	X(0x5411, 4, 1)  /* TIOCOUTQ */                                           \
	X(0x5413, 8, 1)  /* TIOCGWINSZ */                                         \
	X(0x5414, 8, 0)  /* TIOCSWINSZ */                                         \
	X(0x5415, 4, 1)  /* TIOCMGET */                                           \
	X(0x541b, 4, 1)  /* FIONREAD */                                           \
	X(0x5421, 4, 0)  /* FIONBIO */                                            \
	X(0x5429, 4, 1)  /* TIOCGSID */                                           \
	X(0x5452, 4, 0)  /* FIOASYNC */                                           \
	X(0x80045430, 4, 1) /* TIOCGPTN */                                        \
	X(0x40045431, 4, 0) /* TIOCSPTLCK */
#define KD_IOCTL_MAX     36u
/* Not a syscall argument: the messages sendmmsg or recvmmsg moved (ret of
 * them, up to KD_MMSG_MAX, then KD_RF_TRUNCATED), from the struct mmsghdr
 * array argument aux names (KD_LEN_ARG(i)), read at exit when ret >= 1.
 * Wire: u32 messages that follow, u32 zero, then per message u32 msg_len
 * (the bytes the kernel says it moved), u16 address bytes, u16 data bytes,
 * the msg_name bytes (msg_namelen as the call left it, up to
 * KD_SOCKADDR_MAX), then the data gathered from its msg_iov up to msg_len
 * and snaplen (the first KD_IOV_MAX entries). Unaligned, little endian. A
 * message whose mmsghdr faults ends the list (KD_RF_READ_FAULT). */
#define KD_CAP_MMSGS     14
#define KD_MMSG_MAX      8u
#define KD_MMSGS_HDR     8u
#define KD_MMSG_HDR      8u

/* aux: where a buffer's length comes from */
#define KD_LEN_NONE      0x00
#define KD_LEN_ARG(i)    (0x10 | (i)) /* value of argument i */
#define KD_LEN_ARGPTR(i) (0x20 | (i)) /* int pointed to by argument i, at exit, when ret >= 0 */
#define KD_LEN_RET       0x30         /* syscall return value when >= 0 */
#define KD_LEN_ARG_MIN_RET(i) (0x40 | (i)) /* min(arg i, ret) when ret >= 0 */
/* Through the struct user_msghdr argument i points to, as the call left it:
 * a SOCKADDR param is its msg_name (msg_namelen bytes), an IOVEC param its
 * msg_iov (msg_iovlen entries, data up to ret). MSG_OUT: the kernel fills
 * it (recvmsg), so only when the call succeeded. */
#define KD_LEN_MSG(i)     (0x50 | (i))
#define KD_LEN_MSG_OUT(i) (0x60 | (i))
/* The first struct mmsghdr of the array argument i points to (sendmmsg,
 * recvmmsg): its msghdr as for MSG_OUT, its data up to its msg_len, only
 * when the call moved at least one message. */
#define KD_LEN_MMSG(i)    (0x80 | (i))
#define KD_LEN_IS_MSG(aux) \
	(KD_LEN_SRC(aux) == KD_LEN_MSG(0) || KD_LEN_SRC(aux) == KD_LEN_MSG_OUT(0) || \
	 KD_LEN_SRC(aux) == KD_LEN_MMSG(0))
/* A SOCKTUPLE param: the socket of the fd in argument 0, only when param i
 * (a sockaddr, captured before it) has bytes: a send to an explicit address
 * may bind the port, a send on a connected socket has nothing new to say
 * and should not pay for reading the socket on every call. */
#define KD_LEN_ADDR(i)    (0x70 | (i))
/* A synthetic KD_CAP_FIXED param: the struct the pointer argument i points
 * to, read at exit; PTR_OUT only when the call succeeded (the kernel writes
 * it then: rt_sigaction's oact). */
#define KD_LEN_PTR(i)     (0x90 | (i))
#define KD_LEN_PTR_OUT(i) (0xa0 | (i))
/* As PTR, only when argument i - 1 is a record-lock command of fcntl
 * (KD_FCNTL_IS_LOCK): any other command's arg is no struct flock pointer,
 * and a stray one would show whatever it points to. */
#define KD_LEN_LOCK(i)    (0xb0 | (i))
/* As PTR, unless argument 1 is EPOLL_CTL_DEL: epoll_ctl ignores its event
 * then, and callers pass whatever lay on their stack. */
#define KD_LEN_EPOLL(i)   (0xc0 | (i))
#define KD_EPOLL_CTL_DEL  2
/* A struct argument that is an output (KD_CAP_FIXED, the param's own
 * pointer): the kernel writes it when the call succeeds (OUT), or only when
 * a sleep was interrupted (OUT_EINTR: nanosleep's rmtp; at the exit the
 * result is still the kernel's -ERESTART_RESTARTBLOCK, which the signal
 * then turns into EINTR). Otherwise it holds whatever the caller left
 * there, and is not read. */
#define KD_LEN_OUT        0xd0
#define KD_LEN_OUT_EINTR  0xe0
#define KD_EINTR          4
#define KD_ERESTART_RESTARTBLOCK 516
/* A struct argument (the param's own pointer) read only when argument i
 * is a futex command that takes a timeout (futex's utime). For the other
 * commands the param holds the register itself, 8 bytes (schema 10): the
 * requeue and wake-op commands read it as the integer val2, the others
 * ignore it, and what it points to, if anything, is no timespec. */
#define KD_LEN_FUTEX(i)   (0xf0 | (i))
/* FUTEX_WAIT, FUTEX_LOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI,
 * FUTEX_LOCK_PI2, with FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME masked
 * (the library asserts them against <linux/futex.h>) */
#define KD_FUTEX_CMD(op)  ((__u32)(op) & ~0x180u)
#define KD_FUTEX_TIMED(op) \
	(KD_FUTEX_CMD(op) == 0 || KD_FUTEX_CMD(op) == 6 || KD_FUTEX_CMD(op) == 9 || \
	 KD_FUTEX_CMD(op) == 11 || KD_FUTEX_CMD(op) == 13)
/* Whether a FIXED param with aux is unwritten by a call that returned ret. */
#define KD_LEN_OUT_UNSET(aux, ret) \
	((KD_LEN_SRC(aux) == KD_LEN_OUT && (ret) < 0) || \
	 (KD_LEN_SRC(aux) == KD_LEN_OUT_EINTR && (ret) != -KD_EINTR && \
	  (ret) != -KD_ERESTART_RESTARTBLOCK))
/* Whether a FIXED param with aux holds its register, not what it points
 * to: FUTEX(i) with argument i (arg_i) a command without a timeout. */
#define KD_LEN_RAW(aux, arg_i) (KD_LEN_SRC(aux) == KD_LEN_FUTEX(0) && !KD_FUTEX_TIMED(arg_i))
#define KD_LEN_IS_PTR(aux) \
	(KD_LEN_SRC(aux) == KD_LEN_PTR(0) || KD_LEN_SRC(aux) == KD_LEN_PTR_OUT(0) || \
	 KD_LEN_SRC(aux) == KD_LEN_LOCK(0) || KD_LEN_SRC(aux) == KD_LEN_EPOLL(0))
/* F_GETLK, F_SETLK, F_SETLKW and the OFD ones (x86_64 values; the library
 * asserts them against <fcntl.h>) */
#define KD_FCNTL_IS_LOCK(cmd) \
	(((cmd) >= 5 && (cmd) <= 7) || ((cmd) >= 36 && (cmd) <= 38))
/* struct flock on x86_64: l_type, l_whence (short), l_start, l_len (off_t),
 * l_pid (pid_t), padded */
#define KD_FLOCK_SIZE 32
#define KD_LEN_SRC(aux)  ((aux) & 0xf0)
#define KD_LEN_IDX(aux)  ((aux) & 0x0f)

#define KD_STR_MAX       4096u /* path and string limit */
#define KD_STRARR_MAX    4096u /* argv bytes limit */
#define KD_STRARR_COUNT  64u   /* argv entries limit */
#define KD_SOCKADDR_MAX  128u
#define KD_POLLFD_MAX    32u   /* struct pollfd entries of a POLLFD param */
#define KD_EPOLLEV_MAX   32u   /* struct epoll_event entries of an EPOLLEV param */

/*
 * Wire form of a KD_CAP_SOCKTUPLE param (40 bytes, little endian). Ports in
 * host order; addresses in network order, AF_INET in the first 4 bytes.
 * Remote address and port are 0 while unconnected (a listener, a bound
 * socket). Other families (AF_UNIX) carry family and type only. A producer
 * may append bytes later: decoders read the first KD_SOCKTUPLE_SIZE.
 */
struct kd_socktuple {
	__u16 family;    /* AF_* (sk_family) */
	__u8 type;       /* SOCK_STREAM, SOCK_DGRAM... (sk_type) */
	__u8 proto;      /* IPPROTO_* (sk_protocol) */
	__u16 sport;     /* local port */
	__u16 dport;     /* remote port */
	__u8 saddr[16];  /* local address */
	__u8 daddr[16];  /* remote address */
};
#define KD_SOCKTUPLE_SIZE 40u

/* Per-syscall entry of the kernel table. */
struct kd_kparam {
	__u8 cap;   /* KD_CAP_* */
	__u8 aux;   /* KD_LEN_* */
	__u16 size; /* KD_CAP_FIXED: struct size */
};

#define KD_KSC_ENABLED  (1u << 0) /* selected by the user */
#define KD_KSC_AT_ENTRY (1u << 1) /* never returns (exit, exit_group): emit at entry */
#define KD_KSC_ENTRY_ARGS (1u << 2) /* some params must be read at entry (execve argv) */

/* Params a syscall's record may have: its arguments and synthetic ones
 * (sendmmsg: four arguments, addr, data, tuple and msgs). */
#define KD_KSC_MAX_PARAMS 8u

struct kd_ksc {
	__u16 id;      /* event id; 0 = not in schema */
	__u8 flags;    /* KD_KSC_* */
	__u8 nparams;
	struct kd_kparam p[KD_KSC_MAX_PARAMS];
};

#define KD_MAX_SYSCALL_NR 512u

#endif /* KD_DRIVERS_RECORD_H */
