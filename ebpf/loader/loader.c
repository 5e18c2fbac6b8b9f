// Rewind's eBPF loader: an N-API addon over libbpf. Opens a compiled object, sets its load-time configuration
// (.rodata globals), loads and attaches every program, and polls the "events" ring buffer into one caller-supplied
// Buffer per call (a batch of length-prefixed records): no per-event native allocation, no per-event JS call.
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 64

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
	char error[256];
} tracer;

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
static void tracer_release(tracer *t)
{
	if (t->rb) ring_buffer__free(t->rb);
	t->rb = NULL;
	for (int i = 0; i < t->nlinks; i++) bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	if (t->obj) bpf_object__close(t->obj);
	t->obj = NULL;
}

static void tracer_free(tracer *t)
{
	if (!t) return;
	tracer_release(t);
	free(t->stash);
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

static int on_event(void *ctx, void *data, size_t size)
{
	tracer *t = (tracer *)ctx;
	if (append(t, data, size)) return 0;
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
	int err = bpf_object__load(t->obj);
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
	/* consume what is there first; wait only when the ring is empty */
	int r = ring_buffer__consume(t->rb);
	if (r == 0 && t->out_records == 0 && timeout > 0) r = ring_buffer__poll(t->rb, timeout);
	t->out = NULL;
	if (t->full) r = 0; /* stopped on purpose: the batch is full */
	if (r < 0 && r != -EINTR) {
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
	uint64_t *vals = calloc((size_t)ncpu, sizeof(uint64_t));
	if (!vals) THROW(env, "out of memory");
	for (uint32_t k = 0; k < entries; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &k, vals) == 0)
			for (int c = 0; c < ncpu; c++) sums[k] += vals[c];
	}
	free(vals);
	napi_value arr;
	CHECK(env, napi_create_array_with_length(env, entries, &arr));
	for (uint32_t k = 0; k < entries; k++) {
		napi_value v;
		CHECK(env, napi_create_double(env, (double)sums[k], &v));
		CHECK(env, napi_set_element(env, arr, k, v));
	}
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
		{ "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
	};
	napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
