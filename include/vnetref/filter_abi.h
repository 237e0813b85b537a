/*
 * vnetref IOChain filter ABI — the stable C contract between a host (the IOChain of
 * a switch port, or the conformance runner) and a slot filter (a reference slot or a
 * vendor shared library).
 *
 * Plain C99, no C++ in it. Every struct that crosses the boundary starts with
 * `struct_size` so either side can tell an older/newer peer apart: a reader only
 * touches fields that lie inside the size the writer declared, and fields are only
 * ever appended. VNR_FILTER_ABI_VERSION changes only for incompatible changes.
 *
 * Loading a library:
 *   void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
 *   vnr_filter_entry_fn entry = (vnr_filter_entry_fn)dlsym(h, VNR_FILTER_ENTRY_SYMBOL);
 *   const vnr_filter_ops* ops = entry(VNR_FILTER_ABI_VERSION, slot);   // NULL: slot unsupported
 *
 * Threading: one filter instance is driven by one thread at a time; different
 * instances may run concurrently. Nothing on this interface may block.
 *
 * Time: the filter never reads a wall clock. It asks the host (`now_ns`) and the host
 * calls `timer` when virtual (or real) time has moved, so runs are reproducible.
 *
 * Packets: see vnr_packet. The host owns every packet. A filter that takes a packet
 * out of a batch (sets its entry to NULL) must, before returning or later, do exactly
 * one of: drop it (host->drop), fault it to the slow path (host->fault), or re-inject
 * it (host->inject). A packet taken without any of these is "queued" (held by the
 * filter); a held packet must eventually be dropped or injected. Held packets are
 * released by the host when the filter is destroyed.
 */
#ifndef VNETREF_FILTER_ABI_H_
#define VNETREF_FILTER_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VNR_FILTER_ABI_VERSION 1u
#define VNR_FILTER_ENTRY_SYMBOL "vnr_filter_entry"

#define VNR_MAX_SLOTS 16u
#define VNR_MAX_PARAMS 16u
#define VNR_MAX_PARAM_LEN 256u   /* key and value, each, including the NUL */
#define VNR_MAX_NAME_LEN 100u    /* filter name, excluding the NUL */
#define VNR_MAX_FAULT_META 2048u /* slow-path metadata bytes per faulted packet */
#define VNR_MAX_DROP_REASONS 64u

/* Results of every operation. */
typedef enum vnr_status {
  VNR_OK = 0,
  VNR_ERR_INVALID = 1,     /* bad argument or configuration (see the error text) */
  VNR_ERR_NOMEM = 2,       /* a bounded resource is exhausted */
  VNR_ERR_BUSY = 3,        /* destroy: still busy (e.g. held packets), call again */
  VNR_ERR_UNSUPPORTED = 4, /* the operation/ioctl is not implemented */
  VNR_ERR_STATE = 5,       /* saved state does not fit this filter/version */
  VNR_ERR_FAILED = 6,      /* internal failure: the host applies the failure policy */
  VNR_ERR_VERSION = 7,     /* ABI version or struct size not acceptable */
  VNR_ERR_TOO_SMALL = 8,   /* output buffer too small; *needed holds the size */
  VNR_ERR_DOWN = 9         /* the filter's service is down: host applies the failure policy */
} vnr_status;

/* Direction relative to the VM. Egress = from the VM to the switch (walks slots
 * 0 -> 15); ingress = from the switch to the VM (walks 15 -> 0). */
typedef enum vnr_direction { VNR_DIR_EGRESS = 0, VNR_DIR_INGRESS = 1 } vnr_direction;

/* One packet as a filter sees it: contiguous bytes plus metadata. The host
 * linearises chained packets before handing them over. `data` may be shared with
 * other packets (clones): call host->make_writable before modifying bytes. */
typedef struct vnr_packet {
  uint32_t struct_size;
  uint32_t len;        /* bytes at data */
  uint8_t* data;       /* first byte of the Ethernet frame */
  uint32_t headroom;   /* bytes that can be prepended without copying */
  uint32_t tailroom;   /* bytes that can be appended without copying */
  /* metadata (mirrors the host's packet metadata) */
  uint32_t ingress_port;
  uint32_t egress_port;
  uint16_t vlan_tci;     /* out-of-band 802.1Q TCI, 0 = untagged */
  uint16_t slots_passed; /* bit i: slot i has seen this packet */
  uint32_t flow_hash;
  uint8_t direction;     /* vnr_direction the packet travels */
  uint8_t traffic_class;
  uint8_t csum_state;    /* 0 none, 1 verified, 2 partial */
  uint8_t reserved0;
  uint64_t timestamp_ns;
  uint64_t user;         /* host-defined id (conformance: the packet's trace id) */
  void* host_ref;        /* opaque to the filter */
} vnr_packet;

/* Services the host gives a filter. `ctx` is the host's per-filter context and is
 * passed back on every call. */
typedef struct vnr_host_api {
  uint32_t struct_size;
  uint32_t abi_version;
  void* ctx;
  /* Current time in nanoseconds of the host's (possibly virtual) clock. */
  uint64_t (*now_ns)(void* ctx);
  /* Frees a packet the filter took out of a batch; `reason` indexes the filter's
   * drop_reasons table (counted as <prefix>.drop.<name>). */
  void (*drop)(void* ctx, vnr_packet* pkt, uint32_t reason);
  /* Sends a packet to the slow path with up to VNR_MAX_FAULT_META bytes of metadata.
   * copy == 0: the packet itself (the filter must have taken it out of the batch);
   * copy != 0: a copy is faulted, the packet stays where it is.
   * Returns VNR_OK, or VNR_ERR_NOMEM (slow-path queue full / no buffer: for copy == 0
   * the host has dropped the packet and counted it). */
  vnr_status (*fault)(void* ctx, vnr_packet* pkt, int copy, const uint8_t* meta, uint32_t meta_len);
  /* Injects a packet (taken from a batch, held, or from alloc) into the chain just
   * past this filter's slot, travelling in `dir`. The host owns it afterwards. */
  vnr_status (*inject)(void* ctx, vnr_packet* pkt, vnr_direction dir);
  /* A fresh packet of `len` bytes (uninitialised, writable), or NULL when the pool is
   * exhausted. Must be injected or dropped. */
  vnr_packet* (*alloc)(void* ctx, uint32_t len);
  /* Ensures pkt->data is exclusively owned; may move data. */
  vnr_status (*make_writable)(void* ctx, vnr_packet* pkt);
  /* Grows (delta > 0) or shrinks (delta < 0) the packet at the front / back; updates
   * data/len/headroom/tailroom. Makes the packet writable first. */
  vnr_status (*adjust_head)(void* ctx, vnr_packet* pkt, int32_t delta);
  vnr_status (*adjust_tail)(void* ctx, vnr_packet* pkt, int32_t delta);
  /* 1 if the named service (slots 4-12) is reachable, 0 if not. */
  int (*service_up)(void* ctx, const char* service);
  /* Diagnostic log line (bounded by the host). level: 0 debug, 1 info, 2 warn, 3 error. */
  void (*log)(void* ctx, int level, const char* line);
  /* Asks for a `timer` call at or after when_ns (e.g. state created during process). */
  void (*request_timer)(void* ctx, uint64_t when_ns);
} vnr_host_api;

typedef struct vnr_param {
  const char* key;
  const char* value;
} vnr_param;

typedef struct vnr_filter_create_args {
  uint32_t struct_size;
  uint32_t abi_version;
  uint32_t slot;             /* 0..15 */
  uint32_t vm_id;            /* world id of the VM */
  uint32_t vnic_index;       /* the n in ethN */
  uint32_t port_id;          /* switch port */
  const char* name;          /* nic-<vm>-eth<n>-<agent>.<slot> */
  const char* config_json;   /* the slot's "config" object as JSON text ("{}" if none) */
  const vnr_param* params;   /* up to VNR_MAX_PARAMS */
  uint32_t param_count;
  const vnr_host_api* host;  /* valid until destroy returns */
  char* error_buf;           /* on failure: a NUL-terminated message (may be NULL) */
  uint32_t error_cap;
} vnr_filter_create_args;

typedef struct vnr_filter vnr_filter; /* opaque, owned by the library */

/* Receives one counter; called in a stable order. */
typedef void (*vnr_counter_fn)(void* cookie, const char* name, uint64_t value);

typedef struct vnr_filter_ops {
  uint32_t struct_size;
  uint32_t abi_version;
  const char* agent_name;      /* e.g. "vmware-sfw"; used in the filter name */
  const char* counter_prefix;  /* e.g. "dfw": counters are <prefix>.<name>; a trailing
                                  '#' is replaced by the slot number ("svc#" -> "svc5") */
  const char* const* drop_reasons; /* names of drop reasons (index = reason) */
  uint32_t drop_reason_count;  /* <= VNR_MAX_DROP_REASONS */
  uint32_t slot_mask;          /* bit s: may be placed in slot s */

  vnr_status (*create)(const vnr_filter_create_args* args, vnr_filter** out);
  /* VNR_ERR_BUSY: not yet, call again later. */
  vnr_status (*destroy)(vnr_filter* f);
  /* Processes pkts[0..count) travelling in `dir`. Entries set to NULL were taken
   * (see the file comment). Any non-OK result: the host drops every packet still in
   * the array and counts an error. */
  vnr_status (*process)(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir);
  /* Packets coming back from the slow path (or a service), same contract as process;
   * packets left in the array continue past this slot. May be NULL (then they
   * continue unexamined). */
  vnr_status (*process_returned)(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir,
                                 const uint8_t* meta, uint32_t meta_len);
  /* Time moved to now_ns: expire state. *next_ns receives the next time the filter
   * wants this call (0: no pending deadline). */
  vnr_status (*timer)(vnr_filter* f, uint64_t now_ns, uint64_t* next_ns);
  /* Every counter (filter-specific ones; the host adds its own per-slot counters). */
  vnr_status (*counters)(vnr_filter* f, vnr_counter_fn fn, void* cookie);
  /* Saved state for moving a VM: writes up to cap bytes; VNR_ERR_TOO_SMALL sets
   * *needed. restore_state on a fresh filter with the same configuration must
   * reproduce the state exactly (save after restore yields the same bytes). */
  vnr_status (*save_state)(vnr_filter* f, uint8_t* buf, size_t cap, size_t* needed);
  vnr_status (*restore_state)(vnr_filter* f, const uint8_t* buf, size_t len);
  /* Text control requests ("getrules", "getaddrsets", "getconns", "dump", ...).
   * The reply is NUL-terminated; VNR_ERR_TOO_SMALL sets *needed (including NUL). */
  vnr_status (*ioctl)(vnr_filter* f, const char* request, char* reply, size_t cap, size_t* needed);
  /* A new configuration (same schema as create's config_json). On failure the old
   * configuration stays in force and error_buf explains. */
  vnr_status (*config_changed)(vnr_filter* f, const char* config_json, char* error_buf, uint32_t error_cap);
} vnr_filter_ops;

/* The one symbol a filter library exports. Returns the ops table for `slot`, or NULL
 * when the library has no filter for that slot or cannot serve host_abi_version. */
typedef const vnr_filter_ops* (*vnr_filter_entry_fn)(uint32_t host_abi_version, uint32_t slot);

#ifdef __cplusplus
}
#endif

#endif /* VNETREF_FILTER_ABI_H_ */
