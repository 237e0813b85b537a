#include "stack/iochain/svcins/svcins.h"

#include "stack/iochain/config_util.h"

namespace vnetref::iochain::svcins {

using config::Json;
using config::ObjectReader;

const char* name_of(DropReason r) { return r == DropReason::kServiceDown ? "service_down" : "?"; }

FilterResult<SvcConfig> parse_svc_config(std::string_view json, const FilterParams& params) {
  auto j0 = parse_config_text(json);
  if (!j0) return core::Err(j0.error());
  auto j = apply_params(std::move(j0).value(), params);
  if (!j) return core::Err(j.error());
  std::vector<config::ConfigError> errors;
  SvcConfig c;
  ObjectReader r(*j, "config", errors);
  c.service = r.string("service", std::nullopt).value_or("");
  if (c.service.empty() && j->find("service") != nullptr) r.error_at(*j->find("service"), "service", "must not be empty");
  const std::string d = r.choice("direction", {"in", "out", "inout"}, "inout").value_or("inout");
  c.dir = d == "out" ? 0 : d == "in" ? 1 : -1;
  // NSX names: ALLOW / BLOCK (older: fail-open / fail-close).
  c.fail_allow = r.choice("failure_policy", {"allow", "block"}, "allow").value_or("allow") == "allow";
  const Json* m = r.array("match", false);
  r.reject_unknown_keys();
  if (auto st = config_errors_status(errors); !st) return core::Err(st.error());
  if (m != nullptr && !m->items().empty()) {
    // The match list uses the ACL rule schema without "action": every rule redirects.
    Json rules = Json::array();
    for (const Json& e : m->items()) {
      Json copy = e;
      if (copy.is_object()) copy.set("action", Json::string("allow"));
      rules.push(std::move(copy));
    }
    Json acl = Json::object();
    acl.set("default_action", Json::string("drop"));
    acl.set("rules", std::move(rules));
    auto parsed = acl::parse_acl_config(acl.dump(), {});
    if (!parsed) return filter_error(FilterError::kInvalid, "config.match: " + parsed.error().message);
    c.match = std::move(parsed).value();
    c.match_all = false;
  }
  return c;
}

SvcFilter::SvcFilter(FilterPlacement where, SvcConfig cfg) : where_(std::move(where)), cfg_(std::move(cfg)) {
  info_.agent = kSvcAgent;
  info_.counter_prefix = "svc" + std::to_string(where_.slot);
  info_.drop_reasons = {name_of(DropReason::kServiceDown)};
  meta_ = "svc:" + cfg_.service;
}

FilterResult<std::unique_ptr<SvcFilter>> SvcFilter::create(const FilterPlacement& where, std::string_view config_json,
                                                           const FilterParams& params) {
  if (where.slot < 4 || where.slot > 12) {
    return filter_error(FilterError::kInvalid, "service insertion lives in slots 4-12, not " + std::to_string(where.slot));
  }
  auto cfg = parse_svc_config(config_json, params);
  if (!cfg) return core::Err(cfg.error());
  return std::unique_ptr<SvcFilter>(new SvcFilter(where, std::move(cfg).value()));
}

FilterStatus SvcFilter::process(core::PacketBatch& batch, Direction dir, FilterHost& host) {
  if (cfg_.dir >= 0 && cfg_.dir != static_cast<int>(dir)) return core::Ok{};
  const bool up = host.service_up(cfg_.service);
  const std::span<const uint8_t> meta(reinterpret_cast<const uint8_t*>(meta_.data()), meta_.size());
  for (uint32_t i = 0; i < batch.size(); ++i) {
    if (!cfg_.match_all) {
      PacketInfo pi;
      const bool ok = parse_packet(*batch[i], pi);
      if (acl::acl_match(cfg_.match, pi, ok, dir) < 0) {
        ++unmatched_;
        continue;
      }
    }
    if (!up) {
      if (cfg_.fail_allow) {
        ++bypassed_;
      } else {
        host.drop(batch.take(i), static_cast<uint32_t>(DropReason::kServiceDown));
      }
      continue;
    }
    ++redirected_;
    if (!host.fault(batch.take(i), meta)) ++redirect_failed_;
  }
  batch.compact();
  return core::Ok{};
}

FilterStatus SvcFilter::process_returned(core::PacketBatch& batch, Direction, std::span<const uint8_t>, FilterHost&) {
  returned_ += batch.size();  // back from the service: continue past this slot
  return core::Ok{};
}

void SvcFilter::counters(core::CounterList& out) const {
  out.push_back({"redirected", redirected_});
  out.push_back({"returned", returned_});
  out.push_back({"bypassed", bypassed_});
  out.push_back({"unmatched", unmatched_});
  out.push_back({"redirect_failed", redirect_failed_});
}

FilterStatus SvcFilter::config_changed(std::string_view config_json) {
  auto cfg = parse_svc_config(config_json, {});
  if (!cfg) return core::Err(cfg.error());
  cfg_ = std::move(cfg).value();
  meta_ = "svc:" + cfg_.service;
  return core::Ok{};
}

FilterResult<std::string> SvcFilter::ioctl(std::string_view request) {
  if (request == "getservice") {
    return "service " + cfg_.service + " direction " + (cfg_.dir == 0 ? "out" : cfg_.dir == 1 ? "in" : "inout") +
           " failure_policy " + (cfg_.fail_allow ? "allow" : "block") + "\n";
  }
  return filter_error(FilterError::kUnsupported, "unknown ioctl (getservice)");
}

// ---- hub ---------------------------------------------------------------------------

bool ServiceHub::service_up(std::string_view name) const {
  auto it = services_.find(name);
  return it != services_.end() && it->second.up;
}

bool ServiceHub::on_fault(FaultRecord& record) {
  std::string_view m(reinterpret_cast<const char*>(record.meta.data()), record.meta.size());
  if (m.rfind("svc:", 0) != 0) {
    if (other_.size() >= limit_) return false;
    other_.push_back(std::move(record));
    return true;
  }
  if (q_.size() >= limit_) return false;
  q_.emplace_back(std::string(m.substr(4)), std::move(record));
  return true;
}

void ServiceHub::add_port_service(const std::string& name, ChainSink& port) {
  // The service function runs inside pump(): it remembers where the packet re-enters
  // the chain and hands it to the port; the packet is then owned by the service VM.
  services_[name] = Entry{nullptr, true};
  services_[name].port = &port;
}

bool ServiceHub::return_from_service(core::PacketPtr packet) {
  if (!packet) return false;
  auto it = outstanding_.find(packet->meta.user);
  if (it == outstanding_.end()) {
    ++unmatched_returns_;
    return false;  // freed: a packet the chain never sent out (or sent back twice)
  }
  Pending p = std::move(it->second);
  outstanding_.erase(it);
  chain_.reinject(p.slot, std::move(packet), p.dir, p.meta);
  return true;
}

size_t ServiceHub::pump() {
  size_t n = 0;
  while (!q_.empty()) {
    auto [name, rec] = std::move(q_.front());
    q_.pop_front();
    ++n;
    auto it = services_.find(name);
    if (it == services_.end()) {
      ++unknown_;
      continue;  // the packet is freed with the record
    }
    if (it->second.port != nullptr) {
      if (outstanding_.size() >= limit_ || outstanding_.count(rec.packet->meta.user) != 0) {
        ++consumed_;  // cannot track its return: dropped here, counted
        continue;
      }
      outstanding_[rec.packet->meta.user] = Pending{rec.slot, rec.dir, rec.meta};
      core::PacketBatch b;
      (void)b.push(std::move(rec.packet));
      it->second.port->deliver(b, rec.dir);
      continue;
    }
    if (!it->second.fn(rec.packet, rec.dir) || !rec.packet) {
      ++consumed_;
      continue;
    }
    chain_.reinject(rec.slot, std::move(rec.packet), rec.dir, rec.meta);
  }
  return n;
}

}  // namespace vnetref::iochain::svcins
