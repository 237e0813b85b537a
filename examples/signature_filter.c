/*
 * An example third-party slot filter, written against the plain C ABI only
 * (vnetref/filter_abi.h), built as a shared object and loaded by path.
 *
 * "sigfilter": a toy intrusion filter for service-insertion slots 4-12. It looks for
 * a byte signature in each frame and, per its "action" parameter, drops the frame
 * ("drop"), faults a copy to the slow path and lets it go on ("copy"), or faults
 * the frame itself ("fault"). It keeps per-instance counters, answers the "stats"
 * ioctl, saves/restores its match count, and accepts a new signature through
 * config_changed ({"signature": "<hex>"}).
 *
 * Parameters: signature=<hex bytes, 1..32>, action=drop|copy|fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnetref/filter_abi.h"

#define SIG_MAX 32

struct vnr_filter {
  const vnr_host_api* host;
  unsigned char sig[SIG_MAX];
  size_t sig_len;
  int action; /* 0 drop, 1 copy, 2 fault */
  uint64_t seen, matched, faulted, timer_calls;
};

static const char* const kReasons[] = {"signature_match"};

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_sig(const char* hex, size_t n, unsigned char* out, size_t* out_len) {
  if (n == 0 || n % 2 != 0 || n / 2 > SIG_MAX) return -1;
  for (size_t i = 0; i < n / 2; ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (unsigned char)(hi * 16 + lo);
  }
  *out_len = n / 2;
  return 0;
}

static void set_err(char* buf, uint32_t cap, const char* msg) {
  if (buf != NULL && cap > 0) {
    strncpy(buf, msg, cap - 1);
    buf[cap - 1] = 0;
  }
}

static vnr_status sig_create(const vnr_filter_create_args* a, vnr_filter** out) {
  if (a == NULL || out == NULL) return VNR_ERR_INVALID;
  if (a->struct_size < sizeof(vnr_filter_create_args) || a->abi_version != VNR_FILTER_ABI_VERSION) return VNR_ERR_VERSION;
  if (a->slot < 4 || a->slot > 12) {
    set_err(a->error_buf, a->error_cap, "sigfilter runs in slots 4-12");
    return VNR_ERR_INVALID;
  }
  struct vnr_filter* f = calloc(1, sizeof *f);
  if (f == NULL) return VNR_ERR_NOMEM;
  f->host = a->host;
  f->action = 0;
  for (uint32_t i = 0; i < a->param_count; ++i) {
    const char* k = a->params[i].key;
    const char* v = a->params[i].value;
    if (strcmp(k, "signature") == 0) {
      if (parse_sig(v, strlen(v), f->sig, &f->sig_len) != 0) {
        set_err(a->error_buf, a->error_cap, "signature: 1..32 bytes of hex");
        free(f);
        return VNR_ERR_INVALID;
      }
    } else if (strcmp(k, "action") == 0) {
      if (strcmp(v, "drop") == 0) f->action = 0;
      else if (strcmp(v, "copy") == 0) f->action = 1;
      else if (strcmp(v, "fault") == 0) f->action = 2;
      else {
        set_err(a->error_buf, a->error_cap, "action: drop, copy or fault");
        free(f);
        return VNR_ERR_INVALID;
      }
    } else {
      set_err(a->error_buf, a->error_cap, "unknown parameter");
      free(f);
      return VNR_ERR_INVALID;
    }
  }
  if (f->sig_len == 0) {
    set_err(a->error_buf, a->error_cap, "parameter 'signature' is required");
    free(f);
    return VNR_ERR_INVALID;
  }
  *out = f;
  return VNR_OK;
}

static vnr_status sig_destroy(vnr_filter* f) {
  free(f);
  return VNR_OK;
}

static int contains(const unsigned char* d, uint32_t n, const unsigned char* s, size_t m) {
  if (m > n) return 0;
  for (uint32_t i = 0; i + m <= n; ++i) {
    if (d[i] == s[0] && memcmp(d + i, s, m) == 0) return 1;
  }
  return 0;
}

static vnr_status sig_process(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir) {
  (void)dir;
  for (uint32_t i = 0; i < count; ++i) {
    vnr_packet* p = pkts[i];
    if (p == NULL) continue;
    ++f->seen;
    if (!contains(p->data, p->len, f->sig, f->sig_len)) continue;
    ++f->matched;
    static const char meta[] = "sigfilter";
    if (f->action == 0) {
      pkts[i] = NULL;
      f->host->drop(f->host->ctx, p, 0);
    } else if (f->action == 1) {
      if (f->host->fault(f->host->ctx, p, 1, (const uint8_t*)meta, sizeof meta - 1) == VNR_OK) ++f->faulted;
    } else {
      pkts[i] = NULL;
      if (f->host->fault(f->host->ctx, p, 0, (const uint8_t*)meta, sizeof meta - 1) == VNR_OK) ++f->faulted;
    }
  }
  return VNR_OK;
}

static vnr_status sig_process_returned(vnr_filter* f, vnr_packet** pkts, uint32_t count, vnr_direction dir,
                                       const uint8_t* meta, uint32_t meta_len) {
  (void)f, (void)pkts, (void)count, (void)dir, (void)meta, (void)meta_len;
  return VNR_OK; /* inspected already: let returned packets continue */
}

static vnr_status sig_timer(vnr_filter* f, uint64_t now_ns, uint64_t* next_ns) {
  (void)now_ns;
  ++f->timer_calls;
  *next_ns = 0;
  return VNR_OK;
}

static vnr_status sig_counters(vnr_filter* f, vnr_counter_fn fn, void* cookie) {
  fn(cookie, "seen", f->seen);
  fn(cookie, "matched", f->matched);
  fn(cookie, "faulted", f->faulted);
  return VNR_OK;
}

static vnr_status sig_save(vnr_filter* f, uint8_t* buf, size_t cap, size_t* needed) {
  *needed = 8;
  if (buf == NULL || cap < 8) return VNR_ERR_TOO_SMALL;
  for (int i = 0; i < 8; ++i) buf[i] = (uint8_t)(f->matched >> (8 * i));
  return VNR_OK;
}

static vnr_status sig_restore(vnr_filter* f, const uint8_t* buf, size_t len) {
  if (len != 8) return VNR_ERR_STATE;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= (uint64_t)buf[i] << (8 * i);
  f->matched = v;
  return VNR_OK;
}

static vnr_status sig_ioctl(vnr_filter* f, const char* req, char* reply, size_t cap, size_t* needed) {
  if (strcmp(req, "stats") != 0) return VNR_ERR_UNSUPPORTED;
  char tmp[128];
  int n = snprintf(tmp, sizeof tmp, "seen %llu matched %llu faulted %llu\n", (unsigned long long)f->seen,
                   (unsigned long long)f->matched, (unsigned long long)f->faulted);
  *needed = (size_t)n + 1;
  if (reply == NULL || cap < (size_t)n + 1) return VNR_ERR_TOO_SMALL;
  memcpy(reply, tmp, (size_t)n + 1);
  return VNR_OK;
}

static vnr_status sig_config_changed(vnr_filter* f, const char* json, char* err, uint32_t cap) {
  /* Accepts {"signature": "<hex>"}: a deliberately tiny reader for this one key. */
  const char* k = strstr(json, "\"signature\"");
  if (k == NULL) {
    set_err(err, cap, "expected {\"signature\": \"<hex>\"}");
    return VNR_ERR_INVALID;
  }
  const char* q1 = strchr(k + 11, '"');
  const char* q2 = q1 != NULL ? strchr(q1 + 1, '"') : NULL;
  unsigned char sig[SIG_MAX];
  size_t len = 0;
  if (q2 == NULL || parse_sig(q1 + 1, (size_t)(q2 - q1 - 1), sig, &len) != 0) {
    set_err(err, cap, "signature: 1..32 bytes of hex");
    return VNR_ERR_INVALID;
  }
  memcpy(f->sig, sig, len);
  f->sig_len = len;
  return VNR_OK;
}

static const vnr_filter_ops kOps = {
    sizeof(vnr_filter_ops),
    VNR_FILTER_ABI_VERSION,
    "acme-sigfilter",
    "sig",
    kReasons,
    1,
    0x1ff0u, /* slots 4-12 */
    sig_create,
    sig_destroy,
    sig_process,
    sig_process_returned,
    sig_timer,
    sig_counters,
    sig_save,
    sig_restore,
    sig_ioctl,
    sig_config_changed,
};

__attribute__((visibility("default"))) const vnr_filter_ops* vnr_filter_entry(uint32_t host_abi_version,
                                                                             uint32_t slot) {
  if (host_abi_version != VNR_FILTER_ABI_VERSION || slot < 4 || slot > 12) return NULL;
  return &kOps;
}
