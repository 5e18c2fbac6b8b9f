/* Socket tracer events shared by the kernel program (socket_trace.bpf.c) and the loader / TypeScript decoder.
 * Fixed-size header followed by cap_len payload bytes. All fields little-endian (host order on x86-64 / arm64).
 * The TypeScript decoder (ebpf/src/event.ts) mirrors these offsets; a test compiles this header and compares. */
#ifndef REWIND_SOCKET_TRACE_H
#define REWIND_SOCKET_TRACE_H

#define RW_PAYLOAD_DEFAULT 4096
#define RW_PAYLOAD_MAX 16384
#define RW_COMM_LEN 16

/* event kinds */
#define RW_EV_DATA 1        /* payload of one read/write-family syscall on a socket */
#define RW_EV_SOCK_OPEN 2   /* connect() returned or accept() handed out a socket: role known */
#define RW_EV_SOCK_CLOSE 3  /* close() of a traced socket */
#define RW_EV_TCP_STATE 4   /* sock:inet_sock_set_state of a TCP socket: aux = old state << 8 | new state */
#define RW_EV_TCP_RETRANS 5 /* tcp:tcp_retransmit_skb: aux = the socket's state */
#define RW_EV_EXEC 6        /* sched:sched_process_exec: payload = the file name executed */
#define RW_EV_EXIT 7        /* sched:sched_process_exit of a whole process (group_dead) */

/* direction of data relative to the traced process */
#define RW_DIR_EGRESS 0  /* the process wrote / sent */
#define RW_DIR_INGRESS 1 /* the process read / received */

/* role of the process on the socket */
#define RW_ROLE_UNKNOWN 0
#define RW_ROLE_CLIENT 1
#define RW_ROLE_SERVER 2

/* syscalls */
#define RW_SYS_WRITE 1
#define RW_SYS_READ 2
#define RW_SYS_SENDTO 3
#define RW_SYS_RECVFROM 4
#define RW_SYS_CONNECT 5
#define RW_SYS_ACCEPT4 6
#define RW_SYS_CLOSE 7
#define RW_SYS_ACCEPT 8
#define RW_SYS_WRITEV 9
#define RW_SYS_READV 10
#define RW_SYS_SENDMSG 11
#define RW_SYS_RECVMSG 12
#define RW_SYS_SENDMMSG 13
#define RW_SYS_RECVMMSG 14
#define RW_SYS_SSL_WRITE 15   /* OpenSSL SSL_write / SSL_write_ex (uprobe) */
#define RW_SYS_SSL_READ 16    /* OpenSSL SSL_read / SSL_read_ex (uretprobe) */

/* iovecs copied per vectored syscall (the rest of the bytes count in syscall_len, not in the payload) */
#define RW_MAX_IOV 8
/* messages of one sendmmsg / recvmmsg turned into events (the rest are counted in RW_CNT_MMSG_SKIPPED) */
#define RW_MAX_MMSG 8

/* flags */
#define RW_FLAG_TLS 1        /* plaintext from an OpenSSL uprobe (not from the syscall) */
#define RW_FLAG_TRUNCATED 2  /* cap_len < syscall_len */
#define RW_FLAG_IN_TLS 4     /* ciphertext: a syscall made inside SSL_read / SSL_write (its plaintext comes as a TLS event) */

struct rw_event {
	__u64 ts_ns;            /*   0: bpf_ktime_get_ns() at syscall exit (CLOCK_MONOTONIC) */
	__u64 socket_id;        /*   8: unique per socket for the tracer's lifetime */
	__u64 syscall_trace_id; /*  16: DeepFlow's per-thread id: inbound data starts one, outbound data carries it */
	__u64 cap_seq;          /*  24: per-socket sequence number of data events, from 1 */
	__u32 pid;              /*  32: tgid */
	__u32 tid;              /*  36 */
	__s32 fd;               /*  40 */
	__u32 tcp_seq;          /*  44: sequence number of the first byte: write_seq (egress) / copied_seq (ingress) before the call, TCP only */
	__u32 syscall_len;      /*  48: bytes the syscall moved */
	__u32 cap_len;          /*  52: payload bytes after this header */
	__u8 kind;              /*  56: RW_EV_* */
	__u8 direction;         /*  57: RW_DIR_* */
	__u8 role;              /*  58: RW_ROLE_* */
	__u8 syscall;           /*  59: RW_SYS_* */
	__u8 flags;             /*  60: RW_FLAG_* */
	__u8 protocol;          /*  61: IPPROTO_TCP / IPPROTO_UDP */
	__u16 family;           /*  62: AF_INET / AF_INET6 */
	__u16 sport;            /*  64: local port (host order) */
	__u16 dport;            /*  66: remote port (host order) */
	__u8 saddr[16];         /*  68: local address (IPv4 in the first 4 bytes) */
	__u8 daddr[16];         /*  84: remote address */
	char comm[RW_COMM_LEN]; /* 100 */
	__u32 aux;              /* 116: per kind (TCP states; 0 for data) */
};                          /* 120 bytes */

/* Counters (per CPU, summed by the loader). */
#define RW_CNT_EVENTS 0         /* events written to the ring buffer */
#define RW_CNT_DROPPED 1        /* events lost: ring buffer full */
#define RW_CNT_DATA_BYTES 2     /* payload bytes written */
#define RW_CNT_NOT_SOCKET 3     /* traced syscalls on fds that were not sockets */
#define RW_CNT_MMSG_SKIPPED 4   /* messages of sendmmsg / recvmmsg beyond RW_MAX_MMSG (not captured) */
#define RW_CNT_TLS_EVENTS 5     /* plaintext events from the OpenSSL probes (included in RW_CNT_EVENTS) */
#define RW_CNT_TLS_NO_FD 6      /* TLS plaintext whose socket was not known (fd -1, no 5-tuple) */
#define RW_CNT_MAX 8

#endif
