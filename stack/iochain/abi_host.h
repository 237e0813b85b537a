// Host side of the C ABI: runs any filter that speaks include/vnetref/filter_abi.h
// (a vendor .so loaded by path, or the reference ops table) as an IOChain Filter.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vnetref/filter_abi.h"
#include "stack/iochain/filter.h"

namespace vnetref::iochain {

// A dlopen()ed filter library; stays loaded while any filter from it lives.
class FilterLibrary {
 public:
  static FilterResult<std::shared_ptr<FilterLibrary>> open(const std::string& path);
  ~FilterLibrary();
  FilterLibrary(const FilterLibrary&) = delete;
  FilterLibrary& operator=(const FilterLibrary&) = delete;
  // The ops for `slot`, or null when the library has none.
  const vnr_filter_ops* ops(uint32_t slot) const;
  const std::string& path() const { return path_; }

 private:
  FilterLibrary() = default;
  void* handle_ = nullptr;
  vnr_filter_entry_fn entry_ = nullptr;
  std::string path_;
};

// Checks an ops table against this host's ABI (sizes, version, mandatory entries).
FilterStatus validate_ops(const vnr_filter_ops* ops, uint32_t slot);

class AbiFilter final : public Filter {
 public:
  // `library` may be null for in-process ops tables.
  static FilterResult<std::unique_ptr<AbiFilter>> create(const vnr_filter_ops* ops, const FilterPlacement& where,
                                                         std::string_view config_json, const FilterParams& params,
                                                         std::shared_ptr<FilterLibrary> library = nullptr);
  ~AbiFilter() override;

  const FilterInfo& info() const override { return info_; }
  FilterStatus process(core::PacketBatch& batch, Direction dir, FilterHost& host) override;
  FilterStatus process_returned(core::PacketBatch& batch, Direction dir, std::span<const uint8_t> meta,
                                FilterHost& host) override;
  std::optional<core::Instant> timer(core::Instant now, FilterHost& host) override;
  void counters(core::CounterList& out) const override;
  FilterResult<std::vector<uint8_t>> save_state() const override;
  FilterStatus restore_state(std::span<const uint8_t> state) override;
  FilterResult<std::string> ioctl(std::string_view request) override;
  FilterStatus config_changed(std::string_view config_json) override;

  // Wrappers currently held by the filter (taken without a verdict).
  uint32_t held() const;

  struct Wrapper;  // a vnr_packet plus the packet it stands for

 private:
  AbiFilter() = default;
  FilterStatus run(core::PacketBatch& batch, Direction dir, bool returned, std::span<const uint8_t> meta,
                   FilterHost& host);
  Wrapper* new_wrapper(core::PacketPtr p);
  void free_wrapper(Wrapper* w);
  static Wrapper* of(vnr_packet* p);
  static void sync_to_wrapper(Wrapper& w);
  static void sync_meta_to_packet(Wrapper& w);

  // Host callbacks (ctx = AbiFilter*).
  static uint64_t cb_now(void* ctx);
  static void cb_drop(void* ctx, vnr_packet* pkt, uint32_t reason);
  static vnr_status cb_fault(void* ctx, vnr_packet* pkt, int copy, const uint8_t* meta, uint32_t meta_len);
  static vnr_status cb_inject(void* ctx, vnr_packet* pkt, vnr_direction dir);
  static vnr_packet* cb_alloc(void* ctx, uint32_t len);
  static vnr_status cb_make_writable(void* ctx, vnr_packet* pkt);
  static vnr_status cb_adjust_head(void* ctx, vnr_packet* pkt, int32_t delta);
  static vnr_status cb_adjust_tail(void* ctx, vnr_packet* pkt, int32_t delta);
  static int cb_service_up(void* ctx, const char* service);
  static void cb_log(void* ctx, int level, const char* line);
  static void cb_request_timer(void* ctx, uint64_t when_ns);

  const vnr_filter_ops* ops_ = nullptr;
  vnr_filter* f_ = nullptr;
  std::shared_ptr<FilterLibrary> lib_;
  vnr_host_api api_{};
  FilterInfo info_;
  uint32_t abi_reason_base_ = 0;  // host-side reasons appended after the filter's
  FilterHost* host_ = nullptr;    // valid during a call
  uint64_t last_now_ns_ = 0;
  std::vector<std::unique_ptr<Wrapper>> wrappers_;
  std::vector<Wrapper*> free_;
  uint32_t live_ = 0;
};

}  // namespace vnetref::iochain
