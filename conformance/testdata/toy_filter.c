/* A tiny slot-0 filter for the verifier's own tests, written in plain C against
 * include/vnetref/filter_abi.h like a vendor would:
 *   ethertype 0x88b6  dropped (reason "toy_block")
 *   ethertype 0x88b7  answered: a copy with the MACs swapped is injected back
 *                     toward the VM and the original is dropped ("toy_reply")
 *   ethertype 0x88b8  faulted to the slow path with metadata "toy"
 *   anything else     passed
 * Counter "seen" counts packets. Built with TOY_CRASH defined it dereferences NULL
 * on ethertype 0x88b5 and spins forever on 0x88b4 (the crashing-vendor test). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnetref/filter_abi.h"

struct vnr_filter {
  const vnr_host_api* host;
  uint64_t seen;
};

static const char* const kReasons[] = {"toy_block", "toy_reply"};

static uint16_t ethertype(const vnr_packet* p) {
  if (p->len < 14) return 0;
  return (uint16_t)((p->data[12] << 8) | p->data[13]);
}

static vnr_status toy_create(const vnr_filter_create_args* args, vnr_filter** out) {
  if (args == NULL || args->host == NULL) return VNR_ERR_INVALID;
  if (strstr(args->config_json, "\"bad\"") != NULL) {
    if (args->error_buf != NULL && args->error_cap > 0) {
      strncpy(args->error_buf, "toy: config key \"bad\" is refused", args->error_cap - 1);
      args->error_buf[args->error_cap - 1] = '\0';
    }
    return VNR_ERR_INVALID;
  }
  vnr_filter* f = calloc(1, sizeof *f);
  if (f == NULL) return VNR_ERR_NOMEM;
  f->host = args->host;
  *out = f;
  return VNR_OK;
}

static vnr_status toy_destroy(vnr_filter* f) {
  free(f);
  return VNR_OK;
}

static vnr_status toy_process(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir) {
  (void)dir;
  const vnr_host_api* h = f->host;
  for (uint32_t i = 0; i < count; ++i) {
    vnr_packet* p = pkts[i];
    f->seen++;
    const uint16_t et = ethertype(p);
#ifdef TOY_CRASH
    if (et == 0x88b5) {
      volatile int* nowhere = NULL;
      *nowhere = 1; /* the vendor bug the verifier must survive */
    }
    if (et == 0x88b4) {
      for (;;) {
      }
    }
#endif
    if (et == 0x88b6) {
      pkts[i] = NULL;
      h->drop(h->ctx, p, 0);
    } else if (et == 0x88b7) {
      vnr_packet* r = h->alloc(h->ctx, p->len);
      if (r != NULL) {
        memcpy(r->data, p->data + 6, 6);
        memcpy(r->data + 6, p->data, 6);
        memcpy(r->data + 12, p->data + 12, p->len - 12);
        h->inject(h->ctx, r, VNR_DIR_INGRESS);
      }
      pkts[i] = NULL;
      h->drop(h->ctx, p, 1);
    } else if (et == 0x88b8) {
      pkts[i] = NULL;
      h->fault(h->ctx, p, 0, (const uint8_t*)"toy", 3);
    }
  }
  return VNR_OK;
}

static vnr_status toy_timer(vnr_filter* f, uint64_t now_ns, uint64_t* next_ns) {
  (void)f;
  (void)now_ns;
  *next_ns = 0;
  return VNR_OK;
}

static vnr_status toy_counters(vnr_filter* f, vnr_counter_fn fn, void* cookie) {
  fn(cookie, "seen", f->seen);
  return VNR_OK;
}

static vnr_status toy_save(vnr_filter* f, uint8_t* buf, size_t cap, size_t* needed) {
  *needed = sizeof f->seen;
  if (cap < sizeof f->seen) return VNR_ERR_TOO_SMALL;
  memcpy(buf, &f->seen, sizeof f->seen);
  return VNR_OK;
}

static vnr_status toy_restore(vnr_filter* f, const uint8_t* buf, size_t len) {
  if (len != sizeof f->seen) return VNR_ERR_STATE;
  memcpy(&f->seen, buf, sizeof f->seen);
  return VNR_OK;
}

static vnr_status toy_ioctl(vnr_filter* f, const char* request, char* reply, size_t cap, size_t* needed) {
  (void)f;
  if (strcmp(request, "hello") != 0) return VNR_ERR_UNSUPPORTED;
  static const char kText[] = "toy says hello";
  *needed = sizeof kText;
  if (cap < sizeof kText) return VNR_ERR_TOO_SMALL;
  memcpy(reply, kText, sizeof kText);
  return VNR_OK;
}

static vnr_status toy_config_changed(vnr_filter* f, const char* config_json, char* error_buf, uint32_t error_cap) {
  (void)f;
  if (strstr(config_json, "\"bad\"") != NULL) {
    if (error_buf != NULL && error_cap > 0) {
      strncpy(error_buf, "toy: config key \"bad\" is refused", error_cap - 1);
      error_buf[error_cap - 1] = '\0';
    }
    return VNR_ERR_INVALID;
  }
  return VNR_OK;
}

static const vnr_filter_ops kOps = {
    sizeof(vnr_filter_ops),
    VNR_FILTER_ABI_VERSION,
    "toy-filter",
    "toy",
    kReasons,
    2,
    1u << 0,
    toy_create,
    toy_destroy,
    toy_process,
    NULL,
    toy_timer,
    toy_counters,
    toy_save,
    toy_restore,
    toy_ioctl,
    toy_config_changed,
};

__attribute__((visibility("default"))) const vnr_filter_ops* vnr_filter_entry(uint32_t host_abi_version,
                                                                              uint32_t slot) {
  if (host_abi_version != VNR_FILTER_ABI_VERSION || slot != 0) return NULL;
  return &kOps;
}
