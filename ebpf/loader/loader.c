// Rewind's eBPF loader: an N-API addon over libbpf. Opens a compiled object, sets its load-time configuration
// (.rodata globals), loads and attaches every program, and polls the "events" ring buffer into one caller-supplied
// Buffer per call (a batch of length-prefixed records): no per-event native allocation, no per-event JS call.
#define NAPI_VERSION 8
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 128

typedef struct {
	struct bpf_object *obj;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct ring_buffer *rb;
	/* the batch being filled by the ring buffer callback */
	uint8_t *out;
	size_t out_len;
	size_t out_used;
	uint32_t out_records;
	int full; /* the batch is full: stop consuming until the next poll */
	/* libbpf consumes a record before handing it over, so one that does not fit is kept here and delivered
	 * first by the next poll (allocated once, never per event). */
	uint8_t *stash;
	size_t stash_cap;
	size_t stash_len;
	int stashed;
	/* pollBlocks: socket-data events become pcapng EPBs right here (see write_epb); the rest go to `side` */
	int blocks;
	uint32_t iface;
	int64_t offset_ns; /* CLOCK_MONOTONIC → Unix epoch ns */
	uint8_t *side;
	size_t side_len;
	size_t side_used;
	uint32_t side_records;
	uint32_t epbs;
	uint32_t data_events;
	int64_t first_ns;
	int64_t last_ns;
	uint32_t *pids; /* processes already announced: open addressing, 0 = empty */
	uint32_t pid_count;
	char error[256];
} tracer;

#define PID_SLOTS 65536

#define THROW(env, msg) \
	do { \
		napi_throw_error((env), NULL, (msg)); \
		return NULL; \
	} while (0)

#define CHECK(env, call) \
	do { \
		if ((call) != napi_ok) THROW((env), "rewind ebpf loader: N-API call failed: " #call); \
	} while (0)

/* Detaches the programs and frees the kernel objects (the handle itself stays valid, closed). */
static void *destroy_link(void *link)
{
	bpf_link__destroy((struct bpf_link *)link);
	return NULL;
}

static void tracer_release(tracer *t)
{
	if (t->rb) ring_buffer__free(t->rb);
	t->rb = NULL;
	/* Each detach waits for an RCU grace period (≈ 0.1 s for a uprobe here): detach them all at once, one thread
	 * each, so that the waits overlap (measured: 1.3 → 0.9 s with the OpenSSL probes, 0.4 → 0.25 s without; uprobe
	 * removal serialises in part in the kernel); inline if a thread cannot start. */
	pthread_t threads[MAX_LINKS];
	int started[MAX_LINKS];
	for (int i = 0; i < t->nlinks; i++) started[i] = pthread_create(&threads[i], NULL, destroy_link, t->links[i]) == 0;
	for (int i = 0; i < t->nlinks; i++) {
		if (started[i]) pthread_join(threads[i], NULL);
		else bpf_link__destroy(t->links[i]);
	}
	t->nlinks = 0;
	if (t->obj) bpf_object__close(t->obj);
	t->obj = NULL;
}

static void tracer_free(tracer *t)
{
	if (!t) return;
	tracer_release(t);
	free(t->stash);
	free(t->pids);
	free(t);
}

static void finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	tracer_free((tracer *)data);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* Verifier logs and warnings go to stderr only when REWIND_EBPF_DEBUG is set. */
	if (level == LIBBPF_DEBUG || !getenv("REWIND_EBPF_DEBUG")) return 0;
	return vfprintf(stderr, fmt, args);
}

static int append(tracer *t, const void *data, size_t size)
{
	size_t need = 4 + size;
	if (t->out_used + need > t->out_len) return 0;
	uint32_t len = (uint32_t)size;
	memcpy(t->out + t->out_used, &len, 4);
	memcpy(t->out + t->out_used + 4, data, size);
	t->out_used += need;
	t->out_records++;
	return 1;
}

/* ---- pcapng EPBs built in C (the same bytes BundleWriter.writeExportedPdu writes; a test compares them) ---- */

/* struct rw_event offsets (socket_trace.h; event.test.ts checks them against the compiled header) */
#define EV_HEADER 120
#define O_TS 0
#define O_SOCKET 8
#define O_TRACE 16
#define O_CAPSEQ 24
#define O_PID 32
#define O_TID 36
#define O_FD 40
#define O_TCPSEQ 44
#define O_SYSLEN 48
#define O_CAPLEN 52
#define O_KIND 56
#define O_DIR 57
#define O_ROLE 58
#define O_SYSCALL 59
#define O_FLAGS 60
#define O_PROTO 61
#define O_FAMILY 62
#define O_SPORT 64
#define O_DPORT 66
#define O_SADDR 68
#define O_DADDR 84
#define O_COMM 100
#define KIND_DATA 1
#define KIND_FIRST_OF_PID 100 /* side record: the first event of a process not announced yet (header only) */
#define REWIND_PEN 32473
#define OPT_CUSTOM_BIN_COPY 2989

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void wr16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32be(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

/* JavaScript's \s over latin1 bytes (the recorder's HTTP guess is a regex over a latin1 string) */
static int js_space(uint8_t c) { return c == ' ' || (c >= 9 && c <= 13) || c == 0xa0; }

static int starts(const uint8_t *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(p, lit, l) == 0;
}

/* The dissector an exported PDU names: 'http' for a request or status line, 'resp' on the Redis port, else 'data'
 * (mirrors dissectorFor in capture-agent/src/recorder/ebpf-recorder.ts, over the first 32 bytes). */
static const char *dissector_for(const uint8_t *p, size_t len, uint16_t lport, uint16_t rport)
{
	size_t n = len < 32 ? len : 32;
	static const char *methods[] = { "GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE " };
	for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
		if (!starts(p, n, methods[m])) continue;
		size_t i = strlen(methods[m]), j = i;
		/* \S+ then " HTTP/" then a digit; the regex backtracks, so any later " HTTP/<digit>" after ≥ 1 non-space works */
		while (j < n && !js_space(p[j])) j++;
		if (j == i) break;
		if (j + 7 <= n && starts(p + j, n - j, " HTTP/") && p[j + 6] >= '0' && p[j + 6] <= '9') return "http";
		break;
	}
	if (n >= 12 && starts(p, n, "HTTP/") && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9' && p[8] == ' '
		&& p[9] >= '0' && p[9] <= '9' && p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9')
		return "http";
	if ((lport == 6379 || rport == 6379) && len > 0 && strchr("*+-:$_%", p[0]) && p[0] != 0) return "resp";
	return "data";
}

/* tracer syscall codes (RW_SYS_*) → the bundle's syscall codes (SYSCALLS in analysis/src/bundle/ebpf-context.ts) */
static uint8_t bundle_syscall(uint8_t sys)
{
	switch (sys) {
	case 1: return 2;   /* write */
	case 2: return 1;   /* read */
	case 3: return 6;   /* sendto */
	case 4: return 5;   /* recvfrom */
	case 9: return 4;   /* writev */
	case 10: return 3;  /* readv */
	case 11: return 8;  /* sendmsg */
	case 12: return 7;  /* recvmsg */
	case 13: return 10; /* sendmmsg */
	case 14: return 9;  /* recvmmsg */
	case 15: return 13; /* ssl_write */
	case 16: return 12; /* ssl_read */
	default: return 0;
	}
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

static uint8_t *tag(uint8_t *p, uint16_t type, const void *v, uint16_t len)
{
	uint16_t padded = (uint16_t)pad4(len);
	wr16be(p, type);
	wr16be(p + 2, padded);
	memcpy(p + 4, v, len);
	memset(p + 4 + len, 0, padded - len);
	return p + 4 + padded;
}

/* Writes one socket-data event as an EPB into t->out; 0 when it does not fit. */
static int write_epb(tracer *t, const uint8_t *ev, size_t size)
{
	uint32_t cap = rd32(ev + O_CAPLEN);
	if (cap > size - EV_HEADER) cap = (uint32_t)(size - EV_HEADER);
	const uint8_t *payload = ev + EV_HEADER;
	int v4 = rd16(ev + O_FAMILY) == 2;
	size_t alen = v4 ? 4 : 16;
	size_t tags = 8 + 2 * (4 + alen) + 3 * 8 + 4;
	size_t data = tags + cap;
	size_t len = 28 + pad4(data) + 84 + 4;
	if (t->out_used + len > t->out_len) return 0;
	uint8_t *b = t->out + t->out_used;
	int64_t ts = (int64_t)rd64(ev + O_TS) + t->offset_ns;
	wr32(b, 6);
	wr32(b + 4, (uint32_t)len);
	wr32(b + 8, t->iface);
	wr32(b + 12, (uint32_t)((uint64_t)ts >> 32));
	wr32(b + 16, (uint32_t)ts);
	wr32(b + 20, (uint32_t)data);
	wr32(b + 24, (uint32_t)data);
	/* exported-PDU tags: src is the sender (the process on egress, the peer on ingress) */
	int egress = ev[O_DIR] == 0;
	uint16_t lport = rd16(ev + O_SPORT), rport = rd16(ev + O_DPORT);
	const uint8_t *src = ev + (egress ? O_SADDR : O_DADDR), *dst = ev + (egress ? O_DADDR : O_SADDR);
	uint8_t *p = b + 28;
	const char *diss = dissector_for(payload, cap, lport, rport);
	p = tag(p, 12, diss, (uint16_t)strlen(diss));
	p = tag(p, v4 ? 20 : 22, src, (uint16_t)alen);
	p = tag(p, v4 ? 21 : 23, dst, (uint16_t)alen);
	uint8_t u[4];
	wr32be(u, ev[O_PROTO] == 17 ? 3 : 2);
	p = tag(p, 24, u, 4);
	wr32be(u, egress ? lport : rport);
	p = tag(p, 25, u, 4);
	wr32be(u, egress ? rport : lport);
	p = tag(p, 26, u, 4);
	memset(p, 0, 4);
	p += 4;
	memcpy(p, payload, cap);
	p += cap;
	memset(p, 0, pad4(data) - data);
	p = b + 28 + pad4(data);
	/* the eBPF context option (ebpf-context.ts: encodeEbpfContext), then opt_endofopt */
	wr16(p, OPT_CUSTOM_BIN_COPY);
	wr16(p + 2, 76);
	wr32(p + 4, REWIND_PEN);
	uint8_t *c = p + 8;
	memset(c, 0, 72);
	wr16(c, 1);
	wr16(c + 2, 1);
	c[4] = egress ? 2 : 1;
	c[5] = bundle_syscall(ev[O_SYSCALL]);
	c[6] = ev[O_FLAGS] & 1;
	c[7] = ev[O_ROLE] <= 2 ? ev[O_ROLE] : 0;
	memcpy(c + 8, ev + O_PID, 4);
	memcpy(c + 12, ev + O_TID, 4);
	memcpy(c + 16, ev + O_FD, 4);
	memcpy(c + 20, ev + O_TCPSEQ, 4);
	memcpy(c + 24, ev + O_SOCKET, 8);
	memcpy(c + 32, ev + O_TRACE, 8);
	memcpy(c + 40, ev + O_CAPSEQ, 8);
	memcpy(c + 48, ev + O_SYSLEN, 4);
	wr32(c + 52, cap);
	for (int i = 0; i < 15 && ev[O_COMM + i]; i++) c[56 + i] = ev[O_COMM + i];
	memset(p + 80, 0, 4);
	wr32(b + len - 4, (uint32_t)len);
	t->out_used += len;
	t->epbs++;
	if (t->epbs == 1 || ts < t->first_ns) t->first_ns = ts;
	if (t->epbs == 1 || ts > t->last_ns) t->last_ns = ts;
	return 1;
}

static int side_append(tracer *t, const void *data, size_t size)
{
	size_t need = 4 + size;
	if (t->side_used + need > t->side_len) return 0;
	uint32_t len = (uint32_t)size;
	memcpy(t->side + t->side_used, &len, 4);
	memcpy(t->side + t->side_used + 4, data, size);
	t->side_used += need;
	t->side_records++;
	return 1;
}

/* 1 when pid was not announced before (and is now); 0 when it was, or the table is full (then nothing more is). */
static int pid_first_seen(tracer *t, uint32_t pid)
{
	if (pid == 0 || !t->pids) return 0;
	uint32_t h = (pid * 2654435761u) & (PID_SLOTS - 1);
	for (uint32_t i = 0; i < PID_SLOTS; i++, h = (h + 1) & (PID_SLOTS - 1)) {
		if (t->pids[h] == pid) return 0;
		if (t->pids[h] == 0) {
			if (t->pid_count >= PID_SLOTS * 3 / 4) return 0;
			t->pids[h] = pid;
			t->pid_count++;
			return 1;
		}
	}
	return 0;
}

/* One record in blocks mode: 1 when taken, 0 when it does not fit in this poll's buffers. */
static int take_block(tracer *t, const uint8_t *ev, size_t size)
{
	if (size < EV_HEADER) return side_append(t, ev, size); /* JS counts it as malformed */
	uint32_t pid = rd32(ev + O_PID);
	int data = ev[O_KIND] == KIND_DATA;
	/* room for everything this record may need, checked first: a record is taken whole or not at all */
	size_t epb_max = 28 + pad4(8 + 2 * 20 + 24 + 4 + (size - EV_HEADER)) + 88;
	size_t side_need = (data ? 0 : 4 + size) + 4 + EV_HEADER;
	if (t->side_used + side_need > t->side_len || (data && t->out_used + epb_max > t->out_len)) return 0;
	if (pid_first_seen(t, pid)) {
		uint8_t h[EV_HEADER];
		memcpy(h, ev, EV_HEADER);
		h[O_KIND] = KIND_FIRST_OF_PID;
		wr32(h + O_CAPLEN, 0);
		side_append(t, h, EV_HEADER);
	}
	if (!data) return side_append(t, ev, size);
	t->data_events++;
	return write_epb(t, ev, size);
}

static int on_event(void *ctx, void *data, size_t size)
{
	tracer *t = (tracer *)ctx;
	if (t->blocks ? take_block(t, data, size) : append(t, data, size)) return 0;
	/* The batch is full and libbpf has already consumed this record: keep it for the next poll, and stop. */
	if (size <= t->stash_cap) {
		memcpy(t->stash, data, size);
		t->stash_len = size;
		t->stashed = 1;
	}
	t->full = 1;
	return -1;
}

static tracer *unwrap(napi_env env, napi_value v)
{
	void *p = NULL;
	if (napi_get_value_external(env, v, &p) != napi_ok || !p) return NULL;
	return (tracer *)p;
}

/* Set a .rodata global by name: name, value (number), size in bytes. */
static int set_rodata(struct bpf_object *obj, const char *name, uint64_t value, char *err, size_t errlen)
{
	struct bpf_map *map;
	bpf_object__for_each_map(map, obj) {
		const char *mname = bpf_map__name(map);
		if (!strstr(mname, ".rodata")) continue;
		const struct btf *btf = bpf_object__btf(obj);
		if (!btf) break;
		int sec_id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
		if (sec_id < 0) break;
		const struct btf_type *sec = btf__type_by_id(btf, sec_id);
		const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
		size_t sz = 0;
		const void *initial = bpf_map__initial_value(map, &sz);
		for (int i = 0; i < btf_vlen(sec); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			const char *vname = btf__name_by_offset(btf, var->name_off);
			if (strcmp(vname, name) != 0) continue;
			if (!initial || vs->offset + vs->size > sz) break;
			uint8_t *data = malloc(sz);
			if (!data) break;
			memcpy(data, initial, sz);
			if (vs->size == 1) *(uint8_t *)(data + vs->offset) = (uint8_t)value;
			else if (vs->size == 2) *(uint16_t *)(data + vs->offset) = (uint16_t)value;
			else if (vs->size == 4) *(uint32_t *)(data + vs->offset) = (uint32_t)value;
			else if (vs->size == 8) *(uint64_t *)(data + vs->offset) = value;
			else {
				free(data);
				break;
			}
			int err = bpf_map__set_initial_value(map, data, sz);
			free(data);
			if (err) break;
			return 0;
		}
	}
	snprintf(err, errlen, "no load-time setting named %s in the object", name);
	return -1;
}

/* open(path: string, config: Record<string, number>) → handle. Opens, configures, loads and attaches. */
static napi_value js_open(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 1) THROW(env, "open(path, config)");
	char path[4096];
	size_t plen = 0;
	CHECK(env, napi_get_value_string_utf8(env, argv[0], path, sizeof(path), &plen));

	tracer *t = calloc(1, sizeof(tracer));
	if (!t) THROW(env, "out of memory");
	t->stash_cap = 1 << 16; /* larger than any event: 120-byte header + at most 16 KiB of payload */
	t->stash = malloc(t->stash_cap);
	if (!t->stash) {
		free(t);
		THROW(env, "out of memory");
	}
	libbpf_set_print(libbpf_quiet);
	t->obj = bpf_object__open_file(path, NULL);
	if (!t->obj) {
		int e = errno;
		t->obj = NULL;
		tracer_free(t);
		char msg[4200];
		snprintf(msg, sizeof(msg), "cannot open eBPF object %s: %s", path, strerror(e));
		THROW(env, msg);
	}
	if (argc >= 2) {
		napi_valuetype vt;
		CHECK(env, napi_typeof(env, argv[1], &vt));
		if (vt == napi_object) {
			napi_value keys;
			uint32_t n = 0;
			CHECK(env, napi_get_property_names(env, argv[1], &keys));
			CHECK(env, napi_get_array_length(env, keys, &n));
			for (uint32_t i = 0; i < n; i++) {
				napi_value k, v;
				char name[128];
				size_t nl = 0;
				double d = 0;
				CHECK(env, napi_get_element(env, keys, i, &k));
				CHECK(env, napi_get_value_string_utf8(env, k, name, sizeof(name), &nl));
				CHECK(env, napi_get_property(env, argv[1], k, &v));
				if (napi_get_value_double(env, v, &d) != napi_ok) {
					tracer_free(t);
					THROW(env, "config values must be numbers");
				}
				char err[256];
				if (set_rodata(t->obj, name, (uint64_t)d, err, sizeof(err))) {
					tracer_free(t);
					THROW(env, err);
				}
			}
		}
	}
	/* Per-CPU scratch slots: one per possible CPU. */
	struct bpf_map *scratch = bpf_object__find_map_by_name(t->obj, "scratch_map");
	int ncpu = libbpf_num_possible_cpus();
	if (scratch && ncpu > 0) bpf_map__set_max_entries(scratch, (uint32_t)ncpu);
	/* The verifier gives up with EAGAIN when a signal arrives during a long verification (Node's profiler sends
	 * SIGPROF every millisecond, for one): signals wait (blocked, then delivered) while the object loads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int err = bpf_object__load(t->obj);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		char msg[4400];
		snprintf(msg, sizeof(msg), "cannot load eBPF object %s: %s (run as root; set REWIND_EBPF_DEBUG=1 for the verifier log)",
			path, strerror(-err));
		tracer_free(t);
		THROW(env, msg);
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, t->obj) {
		if (t->nlinks >= MAX_LINKS) break;
		/* OpenSSL probes are attached on request (attachUprobe), to the libraries the agent finds. */
		const char *sec = bpf_program__section_name(prog);
		if (strncmp(sec, "uprobe", 6) == 0 || strncmp(sec, "uretprobe", 9) == 0) continue;
		struct bpf_link *link = bpf_program__attach(prog);
		long le = libbpf_get_error(link);
		if (le) {
			char msg[512];
			snprintf(msg, sizeof(msg), "cannot attach %s: %s (is tracefs mounted at /sys/kernel/tracing?)",
				bpf_program__name(prog), strerror((int)-le));
			tracer_free(t);
			THROW(env, msg);
		}
		t->links[t->nlinks++] = link;
	}
	struct bpf_map *events = bpf_object__find_map_by_name(t->obj, "events");
	if (!events) {
		tracer_free(t);
		THROW(env, "the eBPF object has no ring buffer map named events");
	}
	t->rb = ring_buffer__new(bpf_map__fd(events), on_event, t, NULL);
	if (!t->rb) {
		tracer_free(t);
		THROW(env, "cannot create the ring buffer reader");
	}
	napi_value handle;
	CHECK(env, napi_create_external(env, t, finalize, NULL, &handle));
	return handle;
}

/* Takes what the ring holds into the current batch (waiting up to timeout ms only when it was empty and nothing is
 * in the batch yet); 0 or a negative errno (EINTR and a stop because the batch is full are not errors). */
static int drain_ring(tracer *t, int32_t timeout, int have)
{
	int r = ring_buffer__consume(t->rb);
	if (r == 0 && !have && timeout > 0) r = ring_buffer__poll(t->rb, timeout);
	t->out = NULL;
	if (t->full || r == -EINTR) return 0;
	return r < 0 ? r : 0;
}

/* poll(handle, out: Buffer, timeoutMs) → number of records written to out (each: u32 length + event bytes). */
static napi_value js_poll(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value argv[3];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 3) THROW(env, "poll(handle, buffer, timeoutMs)");
	tracer *t = unwrap(env, argv[0]);
	if (!t || !t->rb) THROW(env, "the tracer is closed");
	void *data = NULL;
	size_t len = 0;
	CHECK(env, napi_get_buffer_info(env, argv[1], &data, &len));
	int32_t timeout = 0;
	CHECK(env, napi_get_value_int32(env, argv[2], &timeout));
	t->out = data;
	t->out_len = len;
	t->out_used = 0;
	t->out_records = 0;
	t->full = 0;
	if (t->stashed) {
		if (!append(t, t->stash, t->stash_len)) {
			t->out = NULL;
			THROW(env, "poll: the batch buffer is smaller than one event");
		}
		t->stashed = 0;
	}
	int r = drain_ring(t, timeout, t->out_records > 0);
	if (r < 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "ring buffer poll failed: %s", strerror(-r));
		THROW(env, msg);
	}
	napi_value out[2];
	CHECK(env, napi_create_uint32(env, t->out_records, &out[0]));
	CHECK(env, napi_create_uint32(env, (uint32_t)t->out_used, &out[1]));
	napi_value arr;
	CHECK(env, napi_create_array_with_length(env, 2, &arr));
	CHECK(env, napi_set_element(env, arr, 0, out[0]));
	CHECK(env, napi_set_element(env, arr, 1, out[1]));
	return arr;
}

/* A JS array of numbers (NULL with an exception pending when N-API fails). */
static napi_value number_array(napi_env env, const double *vals, uint32_t n)
{
	napi_value arr;
	CHECK(env, napi_create_array_with_length(env, n, &arr));
	for (uint32_t i = 0; i < n; i++) {
		napi_value v;
		CHECK(env, napi_create_double(env, vals[i], &v));
		CHECK(env, napi_set_element(env, arr, i, v));
	}
	return arr;
}

/* [epbs, outUsed, sideRecords, sideUsed, firstUs, lastUs, last]: what pollBlocks and blocksFromRecords return. */
static napi_value block_result(napi_env env, const tracer *t, uint32_t last)
{
	double vals[7] = { t->epbs, (double)t->out_used, t->side_records, (double)t->side_used,
		t->epbs ? (double)(t->first_ns / 1000) : -1, t->epbs ? (double)(t->last_ns / 1000) : -1, last };
	return number_array(env, vals, 7);
}

/* configureBlocks(handle, ifaceId, offsetNs: bigint, knownPids: Uint32Array) → switches poll to pollBlocks' output. */
static napi_value js_configure_blocks(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value argv[4];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 4) THROW(env, "configureBlocks(handle, ifaceId, offsetNs, knownPids)");
	tracer *t = unwrap(env, argv[0]);
	if (!t || !t->rb) THROW(env, "the tracer is closed");
	uint32_t iface = 0;
	CHECK(env, napi_get_value_uint32(env, argv[1], &iface));
	int64_t off = 0;
	bool lossless = false;
	CHECK(env, napi_get_value_bigint_int64(env, argv[2], &off, &lossless));
	if (!t->pids) t->pids = calloc(PID_SLOTS, sizeof(uint32_t));
	if (!t->pids) THROW(env, "out of memory");
	napi_typedarray_type type;
	size_t n = 0;
	void *data = NULL;
	CHECK(env, napi_get_typedarray_info(env, argv[3], &type, &n, &data, NULL, NULL));
	if (type != napi_uint32_array) THROW(env, "knownPids must be a Uint32Array");
	for (size_t i = 0; i < n; i++) pid_first_seen(t, ((uint32_t *)data)[i]);
	t->blocks = 1;
	t->iface = iface;
	t->offset_ns = off;
	return NULL;
}

/* pollBlocks(handle, out: Buffer, side: Buffer, timeoutMs) → [epbs, outUsed, sideRecords, sideUsed, firstUs, lastUs,
 * dataEvents]: socket-data events as whole pcapng EPBs in out; every other record, and a header-only record (kind
 * 100) for the first event of each process not announced before, length-prefixed in side. */
static napi_value js_poll_blocks(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value argv[4];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 4) THROW(env, "pollBlocks(handle, out, side, timeoutMs)");
	tracer *t = unwrap(env, argv[0]);
	if (!t || !t->rb) THROW(env, "the tracer is closed");
	if (!t->blocks) THROW(env, "pollBlocks before configureBlocks");
	void *out = NULL, *side = NULL;
	size_t out_len = 0, side_len = 0;
	CHECK(env, napi_get_buffer_info(env, argv[1], &out, &out_len));
	CHECK(env, napi_get_buffer_info(env, argv[2], &side, &side_len));
	int32_t timeout = 0;
	CHECK(env, napi_get_value_int32(env, argv[3], &timeout));
	if (out_len < (1 << 17) || side_len < (1 << 16)) THROW(env, "pollBlocks: out needs ≥ 128 KiB and side ≥ 64 KiB");
	t->out = out;
	t->out_len = out_len;
	t->out_used = 0;
	t->side = side;
	t->side_len = side_len;
	t->side_used = 0;
	t->side_records = 0;
	t->epbs = 0;
	t->data_events = 0;
	t->full = 0;
	if (t->stashed) {
		t->stashed = 0;
		if (!take_block(t, t->stash, t->stash_len)) {
			t->out = NULL;
			THROW(env, "pollBlocks: an event larger than the buffers");
		}
	}
	int r = drain_ring(t, timeout, t->epbs > 0 || t->side_records > 0);
	t->side = NULL;
	if (r < 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "ring buffer poll failed: %s", strerror(-r));
		THROW(env, msg);
	}
	return block_result(env, t, t->data_events);
}

/* blocksFromRecords(records: Buffer, count, out, side, ifaceId, offsetNs: bigint) → as pollBlocks, over records
 * given as poll() lays them out (u32 length + event) instead of the ring buffer: the EPB writer without a kernel,
 * for tests that compare its bytes with BundleWriter's. */
static napi_value js_blocks_from_records(napi_env env, napi_callback_info info)
{
	size_t argc = 6;
	napi_value argv[6];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 6) THROW(env, "blocksFromRecords(records, count, out, side, ifaceId, offsetNs)");
	void *rec = NULL, *out = NULL, *side = NULL;
	size_t rec_len = 0, out_len = 0, side_len = 0;
	uint32_t count = 0, iface = 0;
	int64_t off = 0;
	bool lossless = false;
	CHECK(env, napi_get_buffer_info(env, argv[0], &rec, &rec_len));
	CHECK(env, napi_get_value_uint32(env, argv[1], &count));
	CHECK(env, napi_get_buffer_info(env, argv[2], &out, &out_len));
	CHECK(env, napi_get_buffer_info(env, argv[3], &side, &side_len));
	CHECK(env, napi_get_value_uint32(env, argv[4], &iface));
	CHECK(env, napi_get_value_bigint_int64(env, argv[5], &off, &lossless));
	tracer t;
	memset(&t, 0, sizeof(t));
	t.blocks = 1;
	t.iface = iface;
	t.offset_ns = off;
	t.pids = calloc(PID_SLOTS, sizeof(uint32_t));
	if (!t.pids) THROW(env, "out of memory");
	t.out = out;
	t.out_len = out_len;
	t.side = side;
	t.side_len = side_len;
	size_t pos = 0;
	uint32_t taken = 0;
	for (uint32_t i = 0; i < count && pos + 4 <= rec_len; i++) {
		uint32_t len = rd32((uint8_t *)rec + pos);
		if (pos + 4 + len > rec_len || !take_block(&t, (uint8_t *)rec + pos + 4, len)) break;
		pos += 4 + len;
		taken++;
	}
	free(t.pids);
	return block_result(env, &t, taken);
}

/* attachUprobe(handle, program, binaryPath, functionName, retprobe: boolean, pid: number (-1 = every process)):
 * attaches one of the object's uprobe programs to a function of an ELF file (libbpf resolves the symbol). */
static napi_value js_attach_uprobe(napi_env env, napi_callback_info info)
{
	size_t argc = 6;
	napi_value argv[6];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 6) THROW(env, "attachUprobe(handle, program, binaryPath, functionName, retprobe, pid)");
	tracer *t = unwrap(env, argv[0]);
	if (!t || !t->obj) THROW(env, "the tracer is closed");
	char prog_name[128], bin[4096], func[256];
	size_t n = 0;
	CHECK(env, napi_get_value_string_utf8(env, argv[1], prog_name, sizeof(prog_name), &n));
	CHECK(env, napi_get_value_string_utf8(env, argv[2], bin, sizeof(bin), &n));
	CHECK(env, napi_get_value_string_utf8(env, argv[3], func, sizeof(func), &n));
	bool ret = false;
	CHECK(env, napi_get_value_bool(env, argv[4], &ret));
	int32_t pid = -1;
	CHECK(env, napi_get_value_int32(env, argv[5], &pid));
	struct bpf_program *prog = bpf_object__find_program_by_name(t->obj, prog_name);
	if (!prog) THROW(env, "attachUprobe: no such program in the object");
	if (t->nlinks >= MAX_LINKS) THROW(env, "attachUprobe: too many attachments");
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = func, .retprobe = ret);
	struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, pid, bin, 0, &opts);
	long le = libbpf_get_error(link);
	if (le) {
		char msg[4800];
		snprintf(msg, sizeof(msg), "cannot attach %s to %s in %s: %s", prog_name, func, bin, strerror((int)-le));
		THROW(env, msg);
	}
	t->links[t->nlinks++] = link;
	return NULL;
}

/* The handle of a call whose only argument is the handle (NULL when it is missing or not a handle). */
static tracer *handle_arg(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
	return unwrap(env, argv[0]);
}

/* counters(handle) → number[]: the per-CPU "counters" array summed over CPUs. */
static napi_value js_counters(napi_env env, napi_callback_info info)
{
	tracer *t = handle_arg(env, info);
	if (!t || !t->obj) THROW(env, "the tracer is closed");
	struct bpf_map *m = bpf_object__find_map_by_name(t->obj, "counters");
	if (!m) THROW(env, "the eBPF object has no counters map");
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) THROW(env, "cannot count CPUs");
	uint32_t entries = bpf_map__max_entries(m);
	if (entries > 64) entries = 64;
	uint64_t sums[64] = { 0 };
	double out[64];
	uint64_t *vals = calloc((size_t)ncpu, sizeof(uint64_t));
	if (!vals) THROW(env, "out of memory");
	for (uint32_t k = 0; k < entries; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, vals) == 0)
			for (int c = 0; c < ncpu; c++) sums[k] += vals[c];
	}
	free(vals);
	for (uint32_t k = 0; k < entries; k++) out[k] = (double)sums[k];
	return number_array(env, out, entries);
}

/* countersPerCpu(handle, key) → number[]: one counter (RW_CNT_*) as each CPU kept it. */
static napi_value js_counters_per_cpu(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2) THROW(env, "countersPerCpu(handle, key)");
	tracer *t = unwrap(env, argv[0]);
	if (!t || !t->obj) THROW(env, "the tracer is closed");
	uint32_t key = 0;
	CHECK(env, napi_get_value_uint32(env, argv[1], &key));
	struct bpf_map *m = bpf_object__find_map_by_name(t->obj, "counters");
	if (!m) THROW(env, "the eBPF object has no counters map");
	if (key >= bpf_map__max_entries(m)) THROW(env, "countersPerCpu: no such counter");
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) THROW(env, "cannot count CPUs");
	uint64_t *vals = calloc((size_t)ncpu, sizeof(uint64_t));
	if (!vals) THROW(env, "out of memory");
	if (bpf_map_lookup_elem(bpf_map__fd(m), &key, vals) != 0) memset(vals, 0, (size_t)ncpu * sizeof(uint64_t));
	double *out = calloc((size_t)ncpu, sizeof(double));
	if (!out) {
		free(vals);
		THROW(env, "out of memory");
	}
	for (int c = 0; c < ncpu; c++) out[c] = (double)vals[c];
	free(vals);
	napi_value arr = number_array(env, out, (uint32_t)ncpu);
	free(out);
	return arr;
}

/* close(handle): detaches and frees now (the finalizer would do it at GC). */
static napi_value js_close(napi_env env, napi_callback_info info)
{
	tracer *t = handle_arg(env, info);
	if (t) tracer_release(t);
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{ "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
		{ "poll", NULL, js_poll, NULL, NULL, NULL, napi_default, NULL },
		{ "counters", NULL, js_counters, NULL, NULL, NULL, napi_default, NULL },
		{ "countersPerCpu", NULL, js_counters_per_cpu, NULL, NULL, NULL, napi_default, NULL },
		{ "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
		{ "configureBlocks", NULL, js_configure_blocks, NULL, NULL, NULL, napi_default, NULL },
		{ "pollBlocks", NULL, js_poll_blocks, NULL, NULL, NULL, napi_default, NULL },
		{ "attachUprobe", NULL, js_attach_uprobe, NULL, NULL, NULL, napi_default, NULL },
		{ "blocksFromRecords", NULL, js_blocks_from_records, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
