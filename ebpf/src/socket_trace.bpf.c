// SPDX-License-Identifier: GPL-2.0
/* Socket tracer: the read/write family of system calls on sockets, with process context, the socket's 5-tuple and
 * role, TCP sequence numbers and DeepFlow-style per-thread syscall trace ids, into a ring buffer; OpenSSL plaintext
 * from uprobes; TCP state changes and retransmissions; process exec and exit.
 *
 * Data syscalls are taken from ONE raw tracepoint, sys_exit: at exit the saved registers still hold the arguments
 * (x86-64 pt_regs), so no entry program, no per-call map entry and none of the syscall-tracepoint machinery (which
 * formats every argument into a perf buffer) is paid. A syscall that is not traced costs one register read and a
 * switch. Built on tracepoints and uprobes only (this kernel has no kprobes/fentry). CO-RE against include/vmlinux.h. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "socket_trace.h"

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define MSG_PEEK 2
#define RCV_SHUTDOWN 1
#define EINPROGRESS 115

#if defined(__TARGET_ARCH_x86)
#define NR_read 0
#define NR_write 1
#define NR_readv 19
#define NR_writev 20
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_accept4 288
#define NR_recvmmsg 299
#define NR_sendmmsg 307
/* The syscall's number and arguments as saved at entry (x86-64: rdi, rsi, rdx, r10). */
#define SYS_ARG1(regs) ((regs)->di)
#define SYS_ARG2(regs) ((regs)->si)
#define SYS_ARG3(regs) ((regs)->dx)
#define SYS_ARG4(regs) ((regs)->r10)
#else
#error "socket_trace.bpf.c: syscall numbers and registers are written for x86-64 only"
#endif

char LICENSE[] SEC("license") = "GPL";

/* Load-time configuration (set by the loader before load). */
const volatile __u32 cfg_payload_bytes = RW_PAYLOAD_DEFAULT; /* ≤ RW_PAYLOAD_MAX */
const volatile __u32 cfg_self_tgid = 0;                      /* the agent: never traced */
const volatile __u32 cfg_target_tgid = 0;                    /* 0 = every process */
const volatile __u16 cfg_port = 0;                           /* 0 = every port; else local or remote port */
const volatile __u64 cfg_cgroup_id = 0;                      /* 0 = every cgroup; else only this cgroup and below (v2 id) */
const volatile __u32 cfg_cgroup_level = 0;                   /* depth of that cgroup below the v2 root (root = 0) */
/* comm filter: the kernel's 16 comm bytes as four little-endian words must equal cfg_comm<i> where cfg_comm_mask<i>
 * has bits (the loader covers the name and its NUL, so a shorter name does not match as a prefix); all masks 0 = off */
const volatile __u32 cfg_comm0 = 0, cfg_comm1 = 0, cfg_comm2 = 0, cfg_comm3 = 0;
const volatile __u32 cfg_comm_mask0 = 0, cfg_comm_mask1 = 0, cfg_comm_mask2 = 0, cfg_comm_mask3 = 0;
const volatile __u32 cfg_wakeup_bytes = 2 << 20;             /* wake the reader once this much is waiting */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

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


/* Sequences for socket ids and trace ids, per CPU: an id is (count << 10) | cpu, unique without an atomic on a shared
 * cache line (one per request: measured ≈ 0.1 µs per event on 2 vCPUs). Below 2^53 for years at any rate. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
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

/* An OpenSSL call in flight on a thread (SSL_read/SSL_write entry → return), and the socket its syscalls used. */
struct ssl_call {
	__u64 ssl;
	__u64 buf;
	__u64 len_ptr; /* _ex variants: where the byte count is written; 0 otherwise */
	__u64 sk;      /* the socket of a syscall made inside the call (0 until one is) */
	__s32 fd;
	__u8 direction;
	__u8 active;
};

/* Per thread (task-local storage: found through the task, no hash lookup): the current syscall trace id, the
 * direction of its last data event, and its OpenSSL call in flight. */
struct thread_ctx {
	__u64 trace_id;
	__u8 last_dir;
	__u8 seen;
	struct ssl_call ssl;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_ctx);
} threads SEC(".maps");

static __always_inline struct thread_ctx *thread_ctx(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* SSL object → the fd it was last seen on (a call that does no syscall, e.g. SSL_read from buffered records). */
struct ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 _pad;
};

struct ssl_fd {
	__u64 sk;
	__s32 fd;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, struct ssl_fd);
} ssl_fds SEC(".maps");

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
	*s += 1;
	return (*s << 10) | (bpf_get_smp_processor_id() & 1023);
}

static __always_inline bool traced_process(__u32 tgid)
{
	if (cfg_self_tgid && tgid == cfg_self_tgid)
		return false;
	if (cfg_target_tgid && tgid != cfg_target_tgid)
		return false;
	/* The process's ancestor at the filter's depth is the filter's cgroup: the cgroup itself or any cgroup below it
	 * (a pod slice covers its containers, a kubepods slice a node's pods). */
	if (cfg_cgroup_id && bpf_get_current_ancestor_cgroup_id(cfg_cgroup_level) != cfg_cgroup_id)
		return false;
	if (cfg_comm_mask0) {
		__u32 w[4] = {};
		bpf_get_current_comm(w, sizeof(w));
		if ((w[0] & cfg_comm_mask0) != cfg_comm0 || (w[1] & cfg_comm_mask1) != cfg_comm1 || (w[2] & cfg_comm_mask2) != cfg_comm2
			|| (w[3] & cfg_comm_mask3) != cfg_comm3)
			return false;
	}
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

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* The same walk with direct (BTF) loads, for the tp_btf program: one probe read (the fd array slot) instead of
 * nine. Loads through these pointers are exception-handled by the kernel like probe reads, at the cost of a load. */
static __always_inline struct sock *sock_of_fd_btf(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return NULL;
	if (fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *fp = NULL;
	if (bpf_probe_read_kernel(&fp, sizeof(fp), &fds[fd]) || !fp)
		return NULL;
	struct file *file = bpf_rdonly_cast(fp, bpf_core_type_id_kernel(struct file));
	if ((file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	return sock->sk;
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

static __always_inline bool port_selected(__u16 lport, __u16 rport)
{
	return !cfg_port || lport == cfg_port || rport == cfg_port;
}

static __always_inline struct sock_info *sock_info_of(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sock_info *si = bpf_map_lookup_elem(&sockets, &key);
	if (si)
		return si;
	struct sock_info fresh = { .id = next_seq(0), .cap_seq = 0, .role = RW_ROLE_UNKNOWN, .tuple_known = 0 };
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
 * the current one. `touch` = 0 reads the current id without moving the state (ciphertext inside an SSL call). */
static __always_inline __u64 trace_id_for(__u8 dir, bool touch)
{
	struct thread_ctx *tt = thread_ctx(touch);
	if (!tt)
		return 0;
	if (!touch)
		return tt->trace_id;
	if (dir == RW_DIR_INGRESS && (!tt->seen || tt->last_dir != RW_DIR_INGRESS))
		tt->trace_id = next_seq(1);
	tt->seen = 1;
	tt->last_dir = dir;
	return tt->trace_id;
}

/* One data event to emit (passed by pointer: BPF calls take at most five arguments). */
struct data_req {
	__u64 buf;    /* the buffer, or the struct iovec array when iovcnt > 0 */
	__u64 iovcnt; /* 0 = plain buffer */
	__u64 sk;     /* struct sock *, 0 when unknown (TLS plaintext of an unseen socket) */
	__u64 len;    /* bytes the call moved (> 0) */
	__s32 fd;
	__u32 tcp_seq;
	__u8 syscall;
	__u8 direction;
	__u8 flags;
	__u8 touch_trace;
};

static __noinline int emit_data(struct data_req *r)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (!s) {
		count(RW_CNT_DROPPED, 1);
		return 0;
	}
	struct sock *sk = (struct sock *)r->sk;
	struct sock_info *si = sk ? sock_info_of(sk) : NULL;
	struct rw_event *ev = &s->ev;
	__u32 tid = (__u32)pid_tgid;
	__u64 ret = r->len;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = pid_tgid >> 32;
	ev->tid = tid;
	ev->fd = r->fd;
	ev->kind = RW_EV_DATA;
	ev->direction = r->direction;
	ev->syscall = r->syscall;
	ev->tcp_seq = r->tcp_seq;
	ev->syscall_len = ret;
	ev->flags = r->flags;
	ev->aux = 0;
	if (si) {
		ev->socket_id = si->id;
		ev->cap_seq = ++si->cap_seq;
		ev->role = si->role;
	} else {
		ev->socket_id = 0;
		ev->cap_seq = 0;
		ev->role = RW_ROLE_UNKNOWN;
	}
	ev->syscall_trace_id = trace_id_for(r->direction, r->touch_trace);
	if (si && si->tuple_known) {
		ev->family = si->family;
		ev->protocol = si->protocol;
		ev->sport = si->sport;
		ev->dport = si->dport;
		__builtin_memcpy(ev->saddr, si->saddr, 16);
		__builtin_memcpy(ev->daddr, si->daddr, 16);
	} else if (sk) {
		__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
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
	} else {
		ev->family = 0;
		ev->protocol = IPPROTO_TCP;
		ev->sport = 0;
		ev->dport = 0;
		__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
		__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	}
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));

	__u32 limit = cfg_payload_bytes;
	if (limit > RW_PAYLOAD_MAX)
		limit = RW_PAYLOAD_MAX;
	__u32 want = ret < limit ? (__u32)ret : limit;
	if (want < ret)
		ev->flags |= RW_FLAG_TRUNCATED;
	__u32 n = 0;
	if (r->iovcnt == 0) {
		n = want & (2 * RW_PAYLOAD_MAX - 1);
		if (n > RW_PAYLOAD_MAX)
			n = RW_PAYLOAD_MAX;
		if (bpf_probe_read_user(s->payload, n, (void *)r->buf))
			n = 0;
	} else {
		/* Vectored: the first RW_MAX_IOV iovecs, in order, up to `want` bytes. */
		for (int i = 0; i < RW_MAX_IOV; i++) {
			if (i >= r->iovcnt || n >= want)
				break;
			struct iovec iov;
			if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(r->buf + i * sizeof(struct iovec))))
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
	/* No wakeup per event: the reader polls on a timer, and is woken only when a lot is waiting. */
	__u64 wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, s, size, wake)) {
		count(RW_CNT_DROPPED, 1);
	} else {
		count(RW_CNT_EVENTS, 1);
		count(RW_CNT_DATA_BYTES, n);
		if (r->flags & RW_FLAG_TLS)
			count(RW_CNT_TLS_EVENTS, 1);
	}
	return 0;
}

/* A data syscall that returned `ret` > 0 bytes on fd: the socket, filters, TCP sequence, then the event. */
static __always_inline int on_data(__u32 fd, __u64 buf, __u64 iovcnt, long ret, __u8 syscall, __u8 dir, bool peek)
{
	struct sock *sk = sock_of_fd_btf(fd);
	if (!sk) {
		count(RW_CNT_NOT_SOCKET, 1);
		return 0;
	}
	/* direct (BTF) loads: sk came from the BTF walk */
	__u16 family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (cfg_port && !port_selected(sk->__sk_common.skc_num, __builtin_bswap16(sk->__sk_common.skc_dport)))
		return 0;
	struct data_req r = { .buf = buf, .iovcnt = iovcnt, .sk = (__u64)sk, .len = ret, .fd = fd, .syscall = syscall, .direction = dir,
		.flags = 0, .touch_trace = 1, .tcp_seq = 0 };
	if (BPF_CORE_READ_BITFIELD(sk, sk_protocol) == IPPROTO_TCP) {
		/* The sequence of the first byte = the counter after the call less the bytes it moved (a peek moves none). */
		struct tcp_sock *tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
		__u32 after = dir == RW_DIR_EGRESS ? tp->write_seq : tp->copied_seq;
		r.tcp_seq = peek ? after : after - (__u32)ret;
		/* A read that returned data and then reached the peer's FIN moved copied_seq one further (the FIN's
		 * sequence number). It did when the FIN has come (RCV_SHUTDOWN) and nothing is left unread: a FIN read by
		 * an earlier call would have made this one return 0, not data. */
		if (dir == RW_DIR_INGRESS && !peek && (BPF_CORE_READ_BITFIELD(sk, sk_shutdown) & RCV_SHUTDOWN) && after == tp->rcv_nxt)
			r.tcp_seq -= 1;
	}
	/* Inside an OpenSSL call: this is ciphertext; note the socket for the plaintext event, keep the trace state. */
	struct thread_ctx *tc = thread_ctx(false);
	if (tc && tc->ssl.active) {
		tc->ssl.fd = fd;
		tc->ssl.sk = (__u64)sk;
		r.flags |= RW_FLAG_IN_TLS;
		r.touch_trace = 0;
	}
	return emit_data(&r);
}

/* sendmsg / recvmsg: the iovec array and its length come from the user's struct msghdr. */
static __always_inline int on_msg(__u32 fd, __u64 msg, long ret, __u8 syscall, __u8 dir, bool peek)
{
	struct user_msghdr m;
	if (bpf_probe_read_user(&m, sizeof(m), (void *)msg))
		return 0;
	if (!m.msg_iov || m.msg_iovlen == 0)
		return 0;
	return on_data(fd, (__u64)m.msg_iov, m.msg_iovlen, ret, syscall, dir, peek);
}

/* sendmmsg / recvmmsg: `ret` messages, each an event of its own (msg_len bytes). TCP sequence numbers are not
 * computed for them (0). */
static __always_inline int on_mmsg(__u32 fd, __u64 vec, long ret, __u8 syscall, __u8 dir)
{
	for (int i = 0; i < RW_MAX_MMSG; i++) {
		if (i >= ret)
			return 0;
		struct mmsghdr mm;
		if (bpf_probe_read_user(&mm, sizeof(mm), (void *)(vec + i * sizeof(struct mmsghdr))))
			return 0;
		if (mm.msg_len == 0 || !mm.msg_hdr.msg_iov || mm.msg_hdr.msg_iovlen == 0)
			continue;
		struct sock *sk = sock_of_fd(fd);
		__u16 family;
		if (!sk || !inet_family(sk, &family))
			return 0;
		if (cfg_port && !port_selected(BPF_CORE_READ(sk, __sk_common.skc_num), __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport))))
			return 0;
		struct data_req r = { .buf = (__u64)mm.msg_hdr.msg_iov, .iovcnt = mm.msg_hdr.msg_iovlen, .sk = (__u64)sk, .len = mm.msg_len,
			.fd = fd, .syscall = syscall, .direction = dir, .flags = 0, .touch_trace = 1, .tcp_seq = 0 };
		emit_data(&r);
	}
	if (ret > RW_MAX_MMSG)
		count(RW_CNT_MMSG_SKIPPED, ret - RW_MAX_MMSG);
	return 0;
}

static __always_inline int on_connect(__u32 fd, long ret)
{
	/* 0, or -EINPROGRESS for a non-blocking connect that goes on */
	if (ret != 0 && ret != -EINPROGRESS)
		return 0;
	struct sock *sk = sock_of_fd(fd);
	__u16 family;
	if (sk && inet_family(sk, &family))
		sock_info_reset(sk, RW_ROLE_CLIENT);
	return 0;
}

static __always_inline int on_accept(long ret)
{
	if (ret < 0)
		return 0;
	struct sock *sk = sock_of_fd((__u32)ret);
	__u16 family;
	if (sk && inet_family(sk, &family))
		sock_info_reset(sk, RW_ROLE_SERVER);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(rw_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	switch (nr) {
	case NR_read: case NR_write: case NR_readv: case NR_writev: case NR_sendto: case NR_recvfrom: case NR_sendmsg:
	case NR_recvmsg: case NR_sendmmsg: case NR_recvmmsg:
		if (ret <= 0)
			return 0;
		break;
	case NR_connect: case NR_accept: case NR_accept4:
		break;
	default:
		return 0;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	__u32 fd = SYS_ARG1(regs);
	switch (nr) {
	case NR_read:
		return on_data(fd, SYS_ARG2(regs), 0, ret, RW_SYS_READ, RW_DIR_INGRESS, false);
	case NR_write:
		return on_data(fd, SYS_ARG2(regs), 0, ret, RW_SYS_WRITE, RW_DIR_EGRESS, false);
	case NR_readv: {
		__u64 cnt = SYS_ARG3(regs);
		return on_data(fd, SYS_ARG2(regs), cnt ? cnt : 1, ret, RW_SYS_READV, RW_DIR_INGRESS, false);
	}
	case NR_writev: {
		__u64 cnt = SYS_ARG3(regs);
		return on_data(fd, SYS_ARG2(regs), cnt ? cnt : 1, ret, RW_SYS_WRITEV, RW_DIR_EGRESS, false);
	}
	case NR_sendto:
		return on_data(fd, SYS_ARG2(regs), 0, ret, RW_SYS_SENDTO, RW_DIR_EGRESS, false);
	case NR_recvfrom:
		return on_data(fd, SYS_ARG2(regs), 0, ret, RW_SYS_RECVFROM, RW_DIR_INGRESS, (SYS_ARG4(regs) & MSG_PEEK) != 0);
	case NR_sendmsg:
		return on_msg(fd, SYS_ARG2(regs), ret, RW_SYS_SENDMSG, RW_DIR_EGRESS, false);
	case NR_recvmsg:
		return on_msg(fd, SYS_ARG2(regs), ret, RW_SYS_RECVMSG, RW_DIR_INGRESS, (SYS_ARG3(regs) & MSG_PEEK) != 0);
	case NR_sendmmsg:
		return on_mmsg(fd, SYS_ARG2(regs), ret, RW_SYS_SENDMMSG, RW_DIR_EGRESS);
	case NR_recvmmsg:
		return on_mmsg(fd, SYS_ARG2(regs), ret, RW_SYS_RECVMMSG, RW_DIR_INGRESS);
	case NR_connect:
		return on_connect(fd, ret);
	case NR_accept:
	case NR_accept4:
		return on_accept(ret);
	}
	return 0;
}

static __always_inline void emit_small(struct rw_event *ev)
{
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), BPF_RB_NO_WAKEUP))
		count(RW_CNT_DROPPED, 1);
	else
		count(RW_CNT_EVENTS, 1);
}

/* close() of a traced socket: an event, and the socket's entry goes (its address may be reused). The fd is gone by
 * the time close returns, so this one runs at entry. */
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
	emit_small(&ev);
	return 0;
}

/* TCP events from the stack (softirq or process context): the tuple comes with the tracepoint; the socket id and
 * role when the tracer has seen the socket. With a pid filter, only sockets the traced process used. */
struct tcp_ev_in {
	__u64 skaddr;
	__u32 aux;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

static __always_inline int tcp_event(__u8 kind, struct tcp_ev_in *in)
{
	if (in->family != AF_INET && in->family != AF_INET6)
		return 0;
	if (!port_selected(in->sport, in->dport))
		return 0;
	struct sock_info *si = bpf_map_lookup_elem(&sockets, &in->skaddr);
	if (!si && cfg_target_tgid)
		return 0;
	struct rw_event ev = {};
	ev.ts_ns = bpf_ktime_get_ns();
	ev.kind = kind;
	ev.aux = in->aux;
	ev.fd = -1;
	ev.family = in->family;
	ev.protocol = IPPROTO_TCP;
	ev.sport = in->sport;
	ev.dport = in->dport;
	__builtin_memcpy(ev.saddr, in->saddr, 16);
	__builtin_memcpy(ev.daddr, in->daddr, 16);
	if (si) {
		ev.socket_id = si->id;
		ev.cap_seq = si->cap_seq;
		ev.role = si->role;
	}
	/* the process the stack ran for, when it ran in one (0 in softirq) */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	ev.pid = pid_tgid >> 32;
	ev.tid = (__u32)pid_tgid;
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	emit_small(&ev);
	return 0;
}

/* The tuple of a TCP tracepoint record (IPv4 addresses in the first 4 bytes, as in data events). */
#define TCP_EV_IN(in, ctx, auxv) \
	do { \
		__builtin_memset(&(in), 0, sizeof(in)); \
		(in).skaddr = (__u64)(ctx)->skaddr; \
		(in).aux = (auxv); \
		(in).family = (ctx)->family; \
		(in).sport = (ctx)->sport; \
		(in).dport = (ctx)->dport; \
		__u8 s4_[4], d4_[4], s6_[16], d6_[16]; \
		bpf_probe_read_kernel(s4_, 4, (ctx)->saddr); /* ctx bytes at an offset: through a helper */ \
		bpf_probe_read_kernel(d4_, 4, (ctx)->daddr); /* ctx bytes at an offset: through a helper */ \
		bpf_probe_read_kernel(s6_, 16, (ctx)->saddr_v6); /* ctx bytes at an offset: through a helper */ \
		bpf_probe_read_kernel(d6_, 16, (ctx)->daddr_v6); /* ctx bytes at an offset: through a helper */ \
		if ((in).family == AF_INET) { \
			__builtin_memcpy((in).saddr, s4_, 4); \
			__builtin_memcpy((in).daddr, d4_, 4); \
		} else { \
			__builtin_memcpy((in).saddr, s6_, 16); \
			__builtin_memcpy((in).daddr, d6_, 16); \
		} \
	} while (0)

SEC("tracepoint/sock/inet_sock_set_state")
int rw_sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	struct tcp_ev_in in;
	TCP_EV_IN(in, ctx, ((__u32)(ctx->oldstate & 0xff) << 8) | (ctx->newstate & 0xff));
	return tcp_event(RW_EV_TCP_STATE, &in);
}

/* tcp:tcp_retransmit_skb's record (its layout as the kernel's format file gives it). */
struct tcp_retransmit_args {
	__u64 common;
	const void *skbaddr;
	const void *skaddr;
	int state;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

SEC("tracepoint/tcp/tcp_retransmit_skb")
int rw_tcp_retransmit(struct tcp_retransmit_args *ctx)
{
	struct tcp_ev_in in;
	TCP_EV_IN(in, ctx, ctx->state & 0xff);
	return tcp_event(RW_EV_TCP_RETRANS, &in);
}

/* Process exec (payload: the file name) and exit (of the whole process). */
SEC("tracepoint/sched/sched_process_exec")
int rw_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (!s)
		return 0;
	struct rw_event *ev = &s->ev;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->kind = RW_EV_EXEC;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->fd = -1;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	unsigned int off = ctx->__data_loc_filename & 0xffff;
	long n = bpf_probe_read_kernel_str(s->payload, 256, (void *)ctx + off);
	ev->cap_len = n > 0 ? (__u32)(n - 1) : 0; /* without the NUL */
	__u64 size = sizeof(struct rw_event) + (ev->cap_len & 255);
	if (bpf_ringbuf_output(&events, s, size, BPF_RB_NO_WAKEUP))
		count(RW_CNT_DROPPED, 1);
	else
		count(RW_CNT_EVENTS, 1);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int rw_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	if (!ctx->group_dead)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	struct rw_event ev = {};
	ev.ts_ns = bpf_ktime_get_ns();
	ev.kind = RW_EV_EXIT;
	ev.pid = pid_tgid >> 32;
	ev.tid = (__u32)pid_tgid;
	ev.fd = -1;
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	emit_small(&ev);
	return 0;
}

/* OpenSSL: SSL_write/SSL_read (and _ex) — entry keeps the buffer; syscalls inside note the socket; the return emits
 * the plaintext. Attached by the loader to each libssl the agent finds (these sections are not auto-attached). */
static __always_inline int ssl_enter(void *ssl, void *buf, void *len_ptr, __u8 dir)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!traced_process(pid_tgid >> 32))
		return 0;
	struct thread_ctx *tc = thread_ctx(true);
	if (!tc)
		return 0;
	struct ssl_call c = { .ssl = (__u64)ssl, .buf = (__u64)buf, .len_ptr = (__u64)len_ptr, .sk = 0, .fd = -1, .direction = dir, .active = 1 };
	tc->ssl = c;
	return 0;
}

static __always_inline int ssl_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct thread_ctx *tc = thread_ctx(false);
	if (!tc || !tc->ssl.active)
		return 0;
	struct ssl_call c = tc->ssl;
	tc->ssl.active = 0;
	__u64 n = 0;
	if (c.len_ptr) {
		if (ret != 1)
			return 0;
		size_t moved = 0;
		if (bpf_probe_read_user(&moved, sizeof(moved), (void *)c.len_ptr))
			return 0;
		n = moved;
	} else {
		if (ret <= 0)
			return 0;
		n = ret;
	}
	if (n == 0)
		return 0;
	struct ssl_key k = { .ssl = c.ssl, .tgid = pid_tgid >> 32 };
	if (c.sk) {
		struct ssl_fd f = { .sk = c.sk, .fd = c.fd };
		bpf_map_update_elem(&ssl_fds, &k, &f, BPF_ANY);
	} else {
		struct ssl_fd *f = bpf_map_lookup_elem(&ssl_fds, &k);
		if (f) {
			c.sk = f->sk;
			c.fd = f->fd;
		}
	}
	if (!c.sk)
		count(RW_CNT_TLS_NO_FD, 1);
	else if (cfg_port) {
		struct sock *sk = (struct sock *)c.sk;
		if (!port_selected(BPF_CORE_READ(sk, __sk_common.skc_num), __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport))))
			return 0;
	}
	struct data_req r = { .buf = c.buf, .iovcnt = 0, .sk = c.sk, .len = n, .fd = c.fd,
		.syscall = c.direction == RW_DIR_EGRESS ? RW_SYS_SSL_WRITE : RW_SYS_SSL_READ, .direction = c.direction,
		.flags = RW_FLAG_TLS, .touch_trace = 1, .tcp_seq = 0 };
	return emit_data(&r);
}

SEC("uprobe")
int BPF_KPROBE(rw_ssl_write, void *ssl, const void *buf, int num)
{
	return ssl_enter(ssl, (void *)buf, NULL, RW_DIR_EGRESS);
}

SEC("uretprobe")
int BPF_KRETPROBE(rw_ssl_write_ret, int ret)
{
	return ssl_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(rw_ssl_read, void *ssl, void *buf, int num)
{
	return ssl_enter(ssl, buf, NULL, RW_DIR_INGRESS);
}

SEC("uretprobe")
int BPF_KRETPROBE(rw_ssl_read_ret, int ret)
{
	return ssl_exit(ret);
}

SEC("uprobe")
int BPF_KPROBE(rw_ssl_write_ex, void *ssl, const void *buf, size_t num, size_t *written)
{
	return ssl_enter(ssl, (void *)buf, written, RW_DIR_EGRESS);
}

SEC("uprobe")
int BPF_KPROBE(rw_ssl_read_ex, void *ssl, void *buf, size_t num, size_t *readbytes)
{
	return ssl_enter(ssl, buf, readbytes, RW_DIR_INGRESS);
}
