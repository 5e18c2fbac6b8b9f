// Rewind's libpcap binding: an N-API addon that opens a live capture (nanosecond kernel timestamps when libpcap
// offers them), dispatches packets into one caller-supplied Buffer per call (fixed-size record headers, no per-packet
// allocation, no per-packet JS call) and reads pcap_stats' drop counters.
#define NAPI_VERSION 8
#include <node_api.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One record in dispatch's output: this header, then caplen bytes, zero-padded to a multiple of 4. */
#define REC_HEADER 16 /* u64 ts_ns (Unix epoch), u32 caplen, u32 origlen; little-endian */

typedef struct {
	pcap_t *p;
	int nano; /* 1 when libpcap's timestamps are in ns (tv_usec holds ns), 0 when in µs */
	int link_type;
	uint32_t snap_len; /* pcap_snapshot after activation: no caplen exceeds it */
	/* the batch being filled by dispatch's callback */
	uint8_t *out;
	size_t out_len;
	size_t out_used;
	uint32_t out_packets;
	/* libpcap hands a packet over once: one that does not fit in the batch is copied here (allocated once, at open)
	 * and delivered first by the next dispatch */
	uint8_t *stash;
	size_t stash_cap;
	size_t stash_len;
	int stashed;
	char error[PCAP_ERRBUF_SIZE + 64]; /* a dispatch error seen after packets were taken: thrown by the next call */
	int error_pending;
} capture;

#define THROW(env, msg) \
	do { \
		napi_throw_error((env), NULL, (msg)); \
		return NULL; \
	} while (0)

#define CHECK(env, call) \
	do { \
		if ((call) != napi_ok) THROW((env), "rewind pcap: N-API call failed: " #call); \
	} while (0)

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Closes the pcap handle (the JS handle stays valid, closed). */
static void capture_release(capture *c)
{
	if (c->p) pcap_close(c->p);
	c->p = NULL;
}

static void capture_free(capture *c)
{
	if (!c) return;
	capture_release(c);
	free(c->stash);
	free(c);
}

static void finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	capture_free((capture *)data);
}

static void wr32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Writes one record at dst; the caller has checked that REC_HEADER + pad4(caplen) bytes fit. */
static size_t write_record(uint8_t *dst, uint64_t ts_ns, uint32_t caplen, uint32_t origlen, const uint8_t *bytes)
{
	wr32le(dst, (uint32_t)ts_ns);
	wr32le(dst + 4, (uint32_t)(ts_ns >> 32));
	wr32le(dst + 8, caplen);
	wr32le(dst + 12, origlen);
	memcpy(dst + REC_HEADER, bytes, caplen);
	size_t padded = pad4(caplen);
	memset(dst + REC_HEADER + caplen, 0, padded - caplen);
	return REC_HEADER + padded;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	capture *c = (capture *)user;
	uint32_t caplen = h->caplen;
	if (caplen > c->snap_len) caplen = c->snap_len; /* libpcap trims to the snapshot; never trust more */
	uint64_t ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * (c->nano ? 1ull : 1000ull);
	size_t need = REC_HEADER + pad4(caplen);
	if (!c->stashed && c->out_used + need <= c->out_len) {
		c->out_used += write_record(c->out + c->out_used, ts_ns, caplen, h->len, bytes);
		c->out_packets++;
		return;
	}
	/* The batch is full and libpcap has consumed this packet: keep it for the next dispatch, and stop. The stash
	 * holds one snapshot-length record, so it always fits; libpcap checks the break flag before handing over the
	 * next packet, so a second one never arrives here while one is stashed. */
	if (!c->stashed) {
		c->stash_len = write_record(c->stash, ts_ns, caplen, h->len, bytes);
		c->stashed = 1;
	}
	pcap_breakloop(c->p);
}

static capture *unwrap(napi_env env, napi_value v)
{
	void *p = NULL;
	if (napi_get_value_external(env, v, &p) != napi_ok || !p) return NULL;
	return (capture *)p;
}

/* The handle of a call whose first argument is the handle (NULL when it is missing or not a handle). */
static capture *handle_arg(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1];
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
	return unwrap(env, argv[0]);
}

/* "cannot capture on <dev>: <what>: <libpcap's text>", then the handle is freed. */
static void fail_open(napi_env env, capture *c, const char *device, const char *what, const char *detail)
{
	char msg[8192];
	/* libpcap's text often repeats pcap_statustostr's: say it once */
	if (detail && detail[0] && !strstr(what, detail)) snprintf(msg, sizeof(msg), "cannot capture on %s: %s: %s", device, what, detail);
	else snprintf(msg, sizeof(msg), "cannot capture on %s: %s", device, what);
	capture_free(c);
	napi_throw_error(env, NULL, msg);
}

/* open(device, filter, snapLen, bufferBytes) → handle: a live, activated, filtered, non-blocking capture. */
static napi_value js_open(napi_env env, napi_callback_info info)
{
	size_t argc = 4;
	napi_value argv[4];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 4) THROW(env, "open(device, filter, snapLen, bufferBytes)");
	char device[256];
	size_t dlen = 0;
	if (napi_get_value_string_utf8(env, argv[0], device, sizeof(device), &dlen) != napi_ok) THROW(env, "open: device must be a string");
	if (dlen == 0 || dlen >= sizeof(device) - 1) THROW(env, "open: device must be an interface name");
	size_t flen = 0;
	if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &flen) != napi_ok) THROW(env, "open: filter must be a string");
	int32_t snap = 0, bufsize = 0;
	if (napi_get_value_int32(env, argv[2], &snap) != napi_ok || snap <= 0) THROW(env, "open: snapLen must be a positive number");
	if (napi_get_value_int32(env, argv[3], &bufsize) != napi_ok || bufsize <= 0) THROW(env, "open: bufferBytes must be a positive number");

	capture *c = calloc(1, sizeof(capture));
	if (!c) THROW(env, "out of memory");
	char *filter = malloc(flen + 1);
	if (!filter) {
		capture_free(c);
		THROW(env, "out of memory");
	}
	if (napi_get_value_string_utf8(env, argv[1], filter, flen + 1, &flen) != napi_ok) {
		free(filter);
		capture_free(c);
		THROW(env, "open: filter must be a string");
	}

	char errbuf[PCAP_ERRBUF_SIZE];
	errbuf[0] = 0;
	c->p = pcap_create(device, errbuf);
	if (!c->p) {
		free(filter);
		fail_open(env, c, device, "pcap_create failed", errbuf);
		return NULL;
	}
	/* Each setter fails only on an activated handle; checked anyway. */
	if (pcap_set_snaplen(c->p, snap) != 0 || pcap_set_promisc(c->p, 0) != 0 || pcap_set_immediate_mode(c->p, 1) != 0
		|| pcap_set_buffer_size(c->p, bufsize) != 0) {
		free(filter);
		fail_open(env, c, device, "cannot configure the handle", pcap_geterr(c->p));
		return NULL;
	}
	/* Nanosecond timestamps when the platform has them (Linux does); otherwise libpcap's microseconds. */
	int r = pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	if (r != 0 && r != PCAP_ERROR_TSTAMP_PRECISION_NOTSUP) {
		free(filter);
		fail_open(env, c, device, "cannot set the timestamp precision", pcap_statustostr(r));
		return NULL;
	}
	r = pcap_activate(c->p);
	if (r < 0) {
		/* PCAP_ERROR_NO_SUCH_DEVICE, _PERM_DENIED, _IFACE_NOT_UP, ...: libpcap's text may be empty for some */
		char what[PCAP_ERRBUF_SIZE + 64];
		snprintf(what, sizeof(what), "%s", pcap_statustostr(r));
		if (r == PCAP_ERROR_PERM_DENIED) snprintf(what, sizeof(what), "%s (run as root or with CAP_NET_RAW)", pcap_statustostr(r));
		free(filter);
		fail_open(env, c, device, what, pcap_geterr(c->p));
		return NULL;
	}
	/* r > 0 is a warning (e.g. the requested timestamp type is not supported): the capture works. */
	c->nano = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	c->link_type = pcap_datalink(c->p);
	int ss = pcap_snapshot(c->p);
	if (c->link_type < 0 || ss <= 0) {
		free(filter);
		fail_open(env, c, device, "cannot read the link type or snapshot length", pcap_geterr(c->p));
		return NULL;
	}
	c->snap_len = (uint32_t)ss;
	c->stash_cap = REC_HEADER + pad4(c->snap_len);
	c->stash = malloc(c->stash_cap);
	if (!c->stash) {
		free(filter);
		fail_open(env, c, device, "out of memory", NULL);
		return NULL;
	}
	if (filter[0]) {
		struct bpf_program prog;
		if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			char what[PCAP_ERRBUF_SIZE + 4200];
			snprintf(what, sizeof(what), "bad filter \"%.4000s\"", filter);
			free(filter);
			fail_open(env, c, device, what, pcap_geterr(c->p));
			return NULL;
		}
		r = pcap_setfilter(c->p, &prog);
		pcap_freecode(&prog); /* setfilter keeps its own copy */
		if (r != 0) {
			char what[PCAP_ERRBUF_SIZE + 4200];
			snprintf(what, sizeof(what), "cannot install the filter \"%.4000s\"", filter);
			free(filter);
			fail_open(env, c, device, what, pcap_geterr(c->p));
			return NULL;
		}
	}
	free(filter);
	if (pcap_setnonblock(c->p, 1, errbuf) != 0) {
		fail_open(env, c, device, "cannot make the capture non-blocking", errbuf);
		return NULL;
	}
	napi_value handle;
	if (napi_create_external(env, c, finalize, NULL, &handle) != napi_ok) {
		capture_free(c);
		THROW(env, "rewind pcap: napi_create_external failed");
	}
	return handle;
}

static napi_value triple(napi_env env, uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t vals[3] = { a, b, c };
	napi_value arr, v;
	CHECK(env, napi_create_array_with_length(env, 3, &arr));
	for (uint32_t i = 0; i < 3; i++) {
		CHECK(env, napi_create_uint32(env, vals[i], &v));
		CHECK(env, napi_set_element(env, arr, i, v));
	}
	return arr;
}

/* dispatch(handle, out: Buffer) → [packets, bytesUsed, full]: the packets waiting now, as records in out, until out
 * is full (full = 1: a packet is stashed for the next call, so call again to catch up). Never waits; [0, 0, 0] when
 * nothing is waiting. */
static napi_value js_dispatch(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
	if (argc < 2) THROW(env, "dispatch(handle, out)");
	capture *c = unwrap(env, argv[0]);
	if (!c || !c->p) THROW(env, "the capture is closed");
	void *data = NULL;
	size_t len = 0;
	if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) THROW(env, "dispatch: out must be a Buffer");
	if (len > UINT32_MAX) len = UINT32_MAX;
	if (c->error_pending) {
		c->error_pending = 0;
		THROW(env, c->error);
	}
	c->out = data;
	c->out_len = len;
	c->out_used = 0;
	c->out_packets = 0;
	if (c->stashed) {
		if (c->stash_len > len) {
			char msg[160];
			snprintf(msg, sizeof(msg), "dispatch: the out buffer (%zu bytes) is smaller than one packet record (%zu bytes)", len, c->stash_len);
			c->out = NULL;
			THROW(env, msg);
		}
		memcpy(c->out, c->stash, c->stash_len);
		c->out_used = c->stash_len;
		c->out_packets = 1;
		c->stashed = 0;
	}
	/* -1: every packet in the buffer now; on_packet breaks the loop when out is full. */
	int r = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
	c->out = NULL;
	if (r == PCAP_ERROR) {
		char msg[sizeof(c->error)];
		snprintf(msg, sizeof(msg), "capture failed: %s", pcap_geterr(c->p));
		if (c->out_packets == 0) THROW(env, msg);
		/* deliver what was taken; report the error on the next call */
		memcpy(c->error, msg, sizeof(msg));
		c->error_pending = 1;
	}
	/* r == PCAP_ERROR_BREAK: stopped on purpose, the batch is full; r >= 0: libpcap's buffer is empty */
	return triple(env, c->out_packets, (uint32_t)c->out_used, (uint32_t)c->stashed);
}

/* stats(handle) → {received, dropped, ifDropped}: pcap_stats since open (32-bit counters, they wrap). */
static napi_value js_stats(napi_env env, napi_callback_info info)
{
	capture *c = handle_arg(env, info);
	if (!c || !c->p) THROW(env, "the capture is closed");
	struct pcap_stat ps;
	memset(&ps, 0, sizeof(ps));
	if (pcap_stats(c->p, &ps) != 0) {
		char msg[PCAP_ERRBUF_SIZE + 32];
		snprintf(msg, sizeof(msg), "pcap_stats failed: %s", pcap_geterr(c->p));
		THROW(env, msg);
	}
	napi_value obj, v;
	CHECK(env, napi_create_object(env, &obj));
	CHECK(env, napi_create_uint32(env, ps.ps_recv, &v));
	CHECK(env, napi_set_named_property(env, obj, "received", v));
	CHECK(env, napi_create_uint32(env, ps.ps_drop, &v));
	CHECK(env, napi_set_named_property(env, obj, "dropped", v));
	CHECK(env, napi_create_uint32(env, ps.ps_ifdrop, &v));
	CHECK(env, napi_set_named_property(env, obj, "ifDropped", v));
	return obj;
}

/* linkType(handle) → the DLT (= pcap LINKTYPE_* for the common ones: 1 Ethernet, 113 Linux cooked, ...). */
static napi_value js_link_type(napi_env env, napi_callback_info info)
{
	capture *c = handle_arg(env, info);
	if (!c || !c->p) THROW(env, "the capture is closed");
	napi_value v;
	CHECK(env, napi_create_int32(env, c->link_type, &v));
	return v;
}

/* linkTypeName(handle) → libpcap's name of the link type (e.g. "EN10MB"). */
static napi_value js_link_type_name(napi_env env, napi_callback_info info)
{
	capture *c = handle_arg(env, info);
	if (!c || !c->p) THROW(env, "the capture is closed");
	const char *name = pcap_datalink_val_to_name(c->link_type);
	char buf[32];
	if (!name) {
		snprintf(buf, sizeof(buf), "DLT_%d", c->link_type);
		name = buf;
	}
	napi_value v;
	CHECK(env, napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v));
	return v;
}

/* tstampPrecision(handle) → 9 (ns) or 6 (µs): what libpcap's timestamps carry (ts_ns is in ns either way). */
static napi_value js_tstamp_precision(napi_env env, napi_callback_info info)
{
	capture *c = handle_arg(env, info);
	if (!c || !c->p) THROW(env, "the capture is closed");
	napi_value v;
	CHECK(env, napi_create_int32(env, c->nano ? 9 : 6, &v));
	return v;
}

/* fd(handle) → a descriptor to poll for readability, or -1 when the platform has none. */
static napi_value js_fd(napi_env env, napi_callback_info info)
{
	capture *c = handle_arg(env, info);
	if (!c || !c->p) THROW(env, "the capture is closed");
	napi_value v;
	CHECK(env, napi_create_int32(env, pcap_get_selectable_fd(c->p), &v));
	return v;
}

/* close(handle): closes now (the finalizer would at GC); a stashed packet is dropped with it. Idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info)
{
	capture *c = handle_arg(env, info);
	if (c) {
		capture_release(c);
		c->stashed = 0;
	}
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	napi_property_descriptor props[] = {
		{ "open", NULL, js_open, NULL, NULL, NULL, napi_default_method, NULL },
		{ "dispatch", NULL, js_dispatch, NULL, NULL, NULL, napi_default_method, NULL },
		{ "stats", NULL, js_stats, NULL, NULL, NULL, napi_default_method, NULL },
		{ "linkType", NULL, js_link_type, NULL, NULL, NULL, napi_default_method, NULL },
		{ "linkTypeName", NULL, js_link_type_name, NULL, NULL, NULL, napi_default_method, NULL },
		{ "tstampPrecision", NULL, js_tstamp_precision, NULL, NULL, NULL, napi_default_method, NULL },
		{ "fd", NULL, js_fd, NULL, NULL, NULL, napi_default_method, NULL },
		{ "close", NULL, js_close, NULL, NULL, NULL, napi_default_method, NULL },
	};
	if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
