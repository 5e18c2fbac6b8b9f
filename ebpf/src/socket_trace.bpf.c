// SPDX-License-Identifier: GPL-2.0
/* Socket tracer: syscall tracepoints of the read/write family on sockets, with process context, the socket's
 * 5-tuple and role, TCP sequence numbers and DeepFlow-style per-thread syscall trace ids, into a ring buffer.
 * Built on tracepoints only (this kernel has no kprobes/fentry). CO-RE against include/vmlinux.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "socket_trace.h"

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

char LICENSE[] SEC("license") = "GPL";

/* Load-time configuration (set by the loader before load). */
const volatile __u32 cfg_payload_bytes = RW_PAYLOAD_DEFAULT; /* ≤ RW_PAYLOAD_MAX */
const volatile __u32 cfg_self_tgid = 0;                      /* the agent: never traced */
const volatile __u32 cfg_target_tgid = 0;                    /* 0 = every process */
const volatile __u16 cfg_port = 0;                           /* 0 = every port; else local or remote port */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Syscall in flight per thread, from enter to exit. */
struct io_args {
	__u64 buf;    /* the buffer, or the struct iovec array when iovcnt > 0 */
	__u64 iovcnt; /* 0 = plain buffer */
	__u64 sk;     /* the struct sock found at entry (saves a second fd-table walk at exit) */
	__u32 fd;
	__u32 tcp_seq;
	__u8 syscall;
	__u8 direction;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct io_args);
} active_io SEC(".maps");

/* Per socket (keyed by struct sock address): id, role, data event sequence, and its addresses (read once). */
struct sock_info {
	__u64 id;
	__u64 cap_seq;
	__u8 role;
	__u8 tuple_known;
	__u8 protocol;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072);
	__type(key, __u64);
	__type(value, struct sock_info);
} sockets SEC(".maps");

/* Per thread: the current syscall trace id and the direction of its last data event. */
struct thread_trace {
	__u64 id;
	__u8 last_dir;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tid */
	__type(value, struct thread_trace);
} threads SEC(".maps");

/* Sequence for socket ids and trace ids (one slot; atomically incremented). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} sequences SEC(".maps");

/* Scratch space for one event: header + payload (too big for the BPF stack). Twice the largest payload, so that
 * the verifier can see every (offset < MAX) + (length < MAX) copy of a vectored syscall stay inside. */
struct scratch {
	struct rw_event ev;
	__u8 payload[2 * RW_PAYLOAD_MAX];
};

/* One slot per CPU (an array, not a per-CPU array: per-CPU values are limited to 32 KiB). The loader sizes it to
 * the number of possible CPUs before loading. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void count(__u32 which, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += n;
}

static __always_inline __u64 next_seq(__u32 which)
{
	__u64 *s = bpf_map_lookup_elem(&sequences, &which);
	if (!s)
		return 0;
	return __sync_fetch_and_add(s, 1) + 1;
}

static __always_inline bool traced_process(__u32 tgid)
{
	if (cfg_self_tgid && tgid == cfg_self_tgid)
		return false;
	if (cfg_target_tgid && tgid != cfg_target_tgid)
		return false;
	return true;
}

/* The struct sock behind fd of the current task, or NULL when fd is not a socket. */
static __always_inline struct sock *sock_of_fd(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct files_struct *files = BPF_CORE_READ(task, files);
	if (!files)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	if (!fdt)
		return NULL;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if (fd >= max)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	if (bpf_core_read(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline bool inet_family(struct sock *sk, __u16 *family)
{
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return *family == AF_INET || *family == AF_INET6;
}

static __always_inline void fill_tuple(struct rw_event *ev, struct sock *sk, __u16 family)
{
	ev->family = family;
	ev->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ev->protocol = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	if (family == AF_INET) {
		__u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ev->saddr, &s, 4);
		__builtin_memcpy(ev->daddr, &d, 4);
	} else {
		BPF_CORE_READ_INTO(ev->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(ev->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

static __always_inline bool port_selected(struct sock *sk)
{
	if (!cfg_port)
		return true;
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	return lport == cfg_port || rport == cfg_port;
}

static __always_inline struct sock_info *sock_info_of(struct sock *sk, __u8 role)
{
	__u64 key = (__u64)sk;
	struct sock_info *si = bpf_map_lookup_elem(&sockets, &key);
	if (si) {
		if (role != RW_ROLE_UNKNOWN)
			si->role = role;
		return si;
	}
	struct sock_info fresh = { .id = next_seq(0), .cap_seq = 0, .role = role, .tuple_known = 0 };
	bpf_map_update_elem(&sockets, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&sockets, &key);
}

/* A socket that connect() or accept() just handed out: a fresh entry (the address may be a freed socket's). */
static __always_inline void sock_info_reset(struct sock *sk, __u8 role)
{
	__u64 key = (__u64)sk;
	struct sock_info fresh = { .id = next_seq(0), .cap_seq = 0, .role = role, .tuple_known = 0 };
	bpf_map_update_elem(&sockets, &key, &fresh, BPF_ANY);
}

/* DeepFlow's per-thread syscall trace id: ingress data after egress (or first) starts a new id; egress data carries
 * the current one. */
static __always_inline __u64 trace_id_for(__u32 tid, __u8 dir)
{
	struct thread_trace *tt = bpf_map_lookup_elem(&threads, &tid);
	if (!tt) {
		struct thread_trace fresh = { .id = dir == RW_DIR_INGRESS ? next_seq(1) : 0, .last_dir = dir };
		bpf_map_update_elem(&threads, &tid, &fresh, BPF_ANY);
		return fresh.id;
	}
	if (dir == RW_DIR_INGRESS && tt->last_dir != RW_DIR_INGRESS)
		tt->id = next_seq(1);
	tt->last_dir = dir;
	return tt->id;
}

static __always_inline int io_enter(__u32 fd, __u64 buf, __u64 iovcnt, __u8 syscall, __u8 dir)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	struct sock *sk = sock_of_fd(fd);
	if (!sk) {
		count(RW_CNT_NOT_SOCKET, 1);
		return 0;
	}
	__u16 family;
	if (!inet_family(sk, &family) || !port_selected(sk))
		return 0;
	struct io_args a = { .buf = buf, .iovcnt = iovcnt, .sk = (__u64)sk, .fd = fd, .syscall = syscall, .direction = dir, .tcp_seq = 0 };
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		a.tcp_seq = dir == RW_DIR_EGRESS ? BPF_CORE_READ(tp, write_seq) : BPF_CORE_READ(tp, copied_seq);
	}
	bpf_map_update_elem(&active_io, &pid_tgid, &a, BPF_ANY);
	return 0;
}

static __always_inline int io_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct io_args *a = bpf_map_lookup_elem(&active_io, &pid_tgid);
	if (!a)
		return 0;
	struct io_args args = *a;
	bpf_map_delete_elem(&active_io, &pid_tgid);
	if (ret <= 0)
		return 0;
	struct sock *sk = (struct sock *)args.sk;
	__u16 family = 0;
	if (!sk)
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (!s) {
		count(RW_CNT_DROPPED, 1);
		return 0;
	}
	struct sock_info *si = sock_info_of(sk, RW_ROLE_UNKNOWN);
	struct rw_event *ev = &s->ev;
	__u32 tid = (__u32)pid_tgid;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = pid_tgid >> 32;
	ev->tid = tid;
	ev->fd = args.fd;
	ev->kind = RW_EV_DATA;
	ev->direction = args.direction;
	ev->syscall = args.syscall;
	ev->tcp_seq = args.tcp_seq;
	ev->syscall_len = ret;
	ev->flags = 0;
	ev->_pad = 0;
	if (si) {
		ev->socket_id = si->id;
		ev->cap_seq = ++si->cap_seq;
		ev->role = si->role;
	} else {
		ev->socket_id = 0;
		ev->cap_seq = 0;
		ev->role = RW_ROLE_UNKNOWN;
	}
	ev->syscall_trace_id = trace_id_for(tid, args.direction);
	if (si && si->tuple_known) {
		ev->family = si->family;
		ev->protocol = si->protocol;
		ev->sport = si->sport;
		ev->dport = si->dport;
		__builtin_memcpy(ev->saddr, si->saddr, 16);
		__builtin_memcpy(ev->daddr, si->daddr, 16);
	} else {
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		fill_tuple(ev, sk, family);
		/* Remember the addresses once the socket is connected (a remote port is known). */
		if (si && ev->dport) {
			si->family = ev->family;
			si->protocol = ev->protocol;
			si->sport = ev->sport;
			si->dport = ev->dport;
			__builtin_memcpy(si->saddr, ev->saddr, 16);
			__builtin_memcpy(si->daddr, ev->daddr, 16);
			si->tuple_known = 1;
		}
	}
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));

	__u32 limit = cfg_payload_bytes;
	if (limit > RW_PAYLOAD_MAX)
		limit = RW_PAYLOAD_MAX;
	__u32 want = ret < limit ? (__u32)ret : limit;
	if (want < (__u32)ret)
		ev->flags |= RW_FLAG_TRUNCATED;
	__u32 n = 0;
	if (args.iovcnt == 0) {
		n = want & (2 * RW_PAYLOAD_MAX - 1);
		if (n > RW_PAYLOAD_MAX)
			n = RW_PAYLOAD_MAX;
		if (bpf_probe_read_user(s->payload, n, (void *)args.buf))
			n = 0;
	} else {
		/* Vectored: the first RW_MAX_IOV iovecs, in order, up to `want` bytes. */
		for (int i = 0; i < RW_MAX_IOV; i++) {
			if (i >= args.iovcnt || n >= want)
				break;
			struct iovec iov;
			if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(args.buf + i * sizeof(struct iovec))))
				break;
			__u32 len = iov.iov_len < want - n ? (__u32)iov.iov_len : want - n;
			__u32 off = n & (RW_PAYLOAD_MAX - 1);
			len &= RW_PAYLOAD_MAX - 1;
			if (len == 0)
				continue;
			if (bpf_probe_read_user(&s->payload[off], len, iov.iov_base))
				break;
			n = off + len;
		}
		if (n < want)
			ev->flags |= RW_FLAG_TRUNCATED;
	}
	ev->cap_len = n;
	__u64 size = sizeof(struct rw_event) + n;
	if (size > sizeof(struct scratch))
		size = sizeof(struct scratch);
	if (bpf_ringbuf_output(&events, s, size, 0)) {
		count(RW_CNT_DROPPED, 1);
	} else {
		count(RW_CNT_EVENTS, 1);
		count(RW_CNT_DATA_BYTES, n);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int rw_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], ctx->args[1], 0, RW_SYS_WRITE, RW_DIR_EGRESS);
}

SEC("tracepoint/syscalls/sys_exit_write")
int rw_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_read")
int rw_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], ctx->args[1], 0, RW_SYS_READ, RW_DIR_INGRESS);
}

SEC("tracepoint/syscalls/sys_exit_read")
int rw_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int rw_enter_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], ctx->args[1], 0, RW_SYS_SENDTO, RW_DIR_EGRESS);
}

SEC("tracepoint/syscalls/sys_exit_sendto")
int rw_exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_recvfrom")
int rw_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], ctx->args[1], 0, RW_SYS_RECVFROM, RW_DIR_INGRESS);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int rw_exit_recvfrom(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int rw_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], ctx->args[1], ctx->args[2] ? ctx->args[2] : 1, RW_SYS_WRITEV, RW_DIR_EGRESS);
}

SEC("tracepoint/syscalls/sys_exit_writev")
int rw_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_readv")
int rw_enter_readv(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], ctx->args[1], ctx->args[2] ? ctx->args[2] : 1, RW_SYS_READV, RW_DIR_INGRESS);
}

SEC("tracepoint/syscalls/sys_exit_readv")
int rw_exit_readv(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

/* sendmsg / recvmsg: the iovec array and its length come from the user's struct msghdr. */
static __always_inline int msg_enter(__u32 fd, __u64 msg, __u8 syscall, __u8 dir)
{
	struct user_msghdr m;
	if (bpf_probe_read_user(&m, sizeof(m), (void *)msg))
		return 0;
	if (!m.msg_iov || m.msg_iovlen == 0)
		return 0;
	return io_enter(fd, (__u64)m.msg_iov, m.msg_iovlen, syscall, dir);
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int rw_enter_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return msg_enter(ctx->args[0], ctx->args[1], RW_SYS_SENDMSG, RW_DIR_EGRESS);
}

SEC("tracepoint/syscalls/sys_exit_sendmsg")
int rw_exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int rw_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	return msg_enter(ctx->args[0], ctx->args[1], RW_SYS_RECVMSG, RW_DIR_INGRESS);
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int rw_exit_recvmsg(struct trace_event_raw_sys_exit *ctx)
{
	return io_exit(ctx->ret);
}

/* close() of a traced socket: an event, and the socket's entry goes (its address may be reused). */
SEC("tracepoint/syscalls/sys_enter_close")
int rw_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	struct sock *sk = sock_of_fd(ctx->args[0]);
	if (!sk)
		return 0;
	__u64 key = (__u64)sk;
	struct sock_info *si = bpf_map_lookup_elem(&sockets, &key);
	if (!si)
		return 0;
	__u16 family;
	if (!inet_family(sk, &family))
		return 0;
	struct rw_event ev = {};
	ev.ts_ns = bpf_ktime_get_ns();
	ev.socket_id = si->id;
	ev.cap_seq = si->cap_seq;
	ev.pid = pid_tgid >> 32;
	ev.tid = (__u32)pid_tgid;
	ev.fd = ctx->args[0];
	ev.kind = RW_EV_SOCK_CLOSE;
	ev.role = si->role;
	ev.syscall = RW_SYS_CLOSE;
	fill_tuple(&ev, sk, family);
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	bpf_map_delete_elem(&sockets, &key);
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0))
		count(RW_CNT_DROPPED, 1);
	else
		count(RW_CNT_EVENTS, 1);
	return 0;
}

/* Roles: connect() makes the caller the client of the socket, accept() the server of the socket it returns. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid */
	__type(value, __u32); /* fd */
} connecting SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_connect")
int rw_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	__u32 fd = ctx->args[0];
	bpf_map_update_elem(&connecting, &pid_tgid, &fd, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int rw_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 *fdp = bpf_map_lookup_elem(&connecting, &pid_tgid);
	if (!fdp)
		return 0;
	__u32 fd = *fdp;
	bpf_map_delete_elem(&connecting, &pid_tgid);
	/* 0, or -EINPROGRESS (-115) for a non-blocking connect that goes on */
	if (ctx->ret != 0 && ctx->ret != -115)
		return 0;
	struct sock *sk = sock_of_fd(fd);
	__u16 family;
	if (sk && inet_family(sk, &family))
		sock_info_reset(sk, RW_ROLE_CLIENT);
	return 0;
}

static __always_inline int accept_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (ret < 0 || !traced_process(pid_tgid >> 32))
		return 0;
	struct sock *sk = sock_of_fd((__u32)ret);
	__u16 family;
	if (sk && inet_family(sk, &family))
		sock_info_reset(sk, RW_ROLE_SERVER);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int rw_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int rw_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx->ret);
}
