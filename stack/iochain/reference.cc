#include "stack/iochain/reference.h"

#include "stack/config/schema.h"
#include "stack/iochain/abi_export.h"
#include "stack/iochain/abi_host.h"
#include "stack/iochain/acl/acl.h"
#include "stack/iochain/config_util.h"
#include "stack/iochain/crypt/crypt.h"
#include "stack/iochain/dfw/dfw.h"
#include "stack/iochain/svcins/svcins.h"
#include "stack/iochain/swsec/swsec.h"

namespace vnetref::iochain {

const char* reference_agent_for_slot(uint32_t slot) {
  switch (slot) {
    case 0: return acl::kAclAgent;
    case 1: return swsec::kSwsecAgent;
    case 2: return dfw::kDfwAgent;
    case 15: return crypt::kCryptAgent;
    default: break;
  }
  if (slot >= 4 && slot <= 12) return svcins::kSvcAgent;
  return nullptr;
}

namespace {

template <typename F>
FilterResult<std::unique_ptr<Filter>> upcast(FilterResult<std::unique_ptr<F>> r) {
  if (!r) return core::Err(r.error());
  return std::unique_ptr<Filter>(std::move(r).value());
}

FilterResult<std::unique_ptr<Filter>> make_acl(const FilterPlacement& w, std::string_view c, const FilterParams& p) {
  return upcast(acl::AclFilter::create(w, c, p));
}
FilterResult<std::unique_ptr<Filter>> make_swsec(const FilterPlacement& w, std::string_view c, const FilterParams& p) {
  return upcast(swsec::SwsecFilter::create(w, c, p));
}
FilterResult<std::unique_ptr<Filter>> make_dfw(const FilterPlacement& w, std::string_view c, const FilterParams& p) {
  return upcast(dfw::DfwFilter::create(w, c, p));
}
FilterResult<std::unique_ptr<Filter>> make_svc(const FilterPlacement& w, std::string_view c, const FilterParams& p) {
  return upcast(svcins::SvcFilter::create(w, c, p));
}
FilterResult<std::unique_ptr<Filter>> make_crypt(const FilterPlacement& w, std::string_view c, const FilterParams& p) {
  return upcast(crypt::CryptFilter::create(w, c, p));
}

// Drop reason tables as C strings, in each filter's reason order.
template <typename Enum>
struct Reasons {
  static const char* const* table() {
    static const auto* t = [] {
      static const char* v[static_cast<size_t>(Enum::kCount)];
      for (size_t i = 0; i < static_cast<size_t>(Enum::kCount); ++i) v[i] = name_of(static_cast<Enum>(i));
      return v;
    }();
    return t;
  }
  static constexpr uint32_t count = static_cast<uint32_t>(Enum::kCount);
};

ExportSpec kAclSpec{acl::kAclAgent, "acl", 1u << 0, nullptr, 0, &make_acl};
ExportSpec kSwsecSpec{swsec::kSwsecAgent, "swsec", 1u << 1, nullptr, 0, &make_swsec};
ExportSpec kDfwSpec{dfw::kDfwAgent, "dfw", 1u << 2, nullptr, 0, &make_dfw};
ExportSpec kSvcSpec{svcins::kSvcAgent, "svc#", 0x1ff0u, nullptr, 0, &make_svc};
ExportSpec kCryptSpec{crypt::kCryptAgent, "crypt", 1u << 15, nullptr, 0, &make_crypt};

const vnr_filter_ops* ops_for(uint32_t slot) {
  static const struct Tables {
    vnr_filter_ops acl, swsec, dfw, svc, crypt;
    Tables() {
      kAclSpec.drop_reasons = Reasons<acl::DropReason>::table();
      kAclSpec.drop_reason_count = Reasons<acl::DropReason>::count;
      kSwsecSpec.drop_reasons = Reasons<swsec::DropReason>::table();
      kSwsecSpec.drop_reason_count = Reasons<swsec::DropReason>::count;
      kDfwSpec.drop_reasons = Reasons<dfw::DropReason>::table();
      kDfwSpec.drop_reason_count = Reasons<dfw::DropReason>::count;
      kSvcSpec.drop_reasons = Reasons<svcins::DropReason>::table();
      kSvcSpec.drop_reason_count = Reasons<svcins::DropReason>::count;
      kCryptSpec.drop_reasons = Reasons<crypt::DropReason>::table();
      kCryptSpec.drop_reason_count = Reasons<crypt::DropReason>::count;
      abi_export::fill_ops(acl, kAclSpec, &export_create<&kAclSpec>);
      abi_export::fill_ops(swsec, kSwsecSpec, &export_create<&kSwsecSpec>);
      abi_export::fill_ops(dfw, kDfwSpec, &export_create<&kDfwSpec>);
      abi_export::fill_ops(svc, kSvcSpec, &export_create<&kSvcSpec>);
      abi_export::fill_ops(crypt, kCryptSpec, &export_create<&kCryptSpec>);
    }
  } t;
  switch (slot) {
    case 0: return &t.acl;
    case 1: return &t.swsec;
    case 2: return &t.dfw;
    case 15: return &t.crypt;
    default: break;
  }
  if (slot >= 4 && slot <= 12) return &t.svc;
  return nullptr;
}

}  // namespace

FilterResult<std::unique_ptr<Filter>> create_reference_filter(const FilterPlacement& where, std::string_view agent,
                                                              std::string_view config_json,
                                                              const FilterParams& params) {
  if (agent == acl::kAclAgent) return make_acl(where, config_json, params);
  if (agent == swsec::kSwsecAgent) return make_swsec(where, config_json, params);
  if (agent == dfw::kDfwAgent) return make_dfw(where, config_json, params);
  if (agent == svcins::kSvcAgent) return make_svc(where, config_json, params);
  if (agent == crypt::kCryptAgent) return make_crypt(where, config_json, params);
  return filter_error(FilterError::kInvalid, "unknown reference agent '" + std::string(agent) + "'");
}

FilterResult<SlotSpec> parse_slot_section(const config::Json& j, const std::string& path) {
  std::vector<config::ConfigError> errors;
  config::ObjectReader r(j, path, errors);
  SlotSpec s;
  s.slot = static_cast<uint32_t>(r.integer("slot", 0, 15, std::nullopt).value_or(0));
  const char* def_agent = reference_agent_for_slot(s.slot);
  s.agent = r.string("agent", def_agent != nullptr ? def_agent : "").value_or("");
  // Documented: the firewall and switch-security filters are failClosed; service
  // insertion defaults to ALLOW (fail-open).
  const char* def_policy = (s.slot >= 4 && s.slot <= 12) ? "failOpen" : "failClosed";
  s.policy = r.choice("failure_policy", {"failOpen", "failClosed"}, def_policy).value_or(def_policy) == "failOpen"
                 ? FailurePolicy::kFailOpen
                 : FailurePolicy::kFailClosed;
  s.library = r.string("library", "").value_or("");
  s.via_abi = r.boolean("via_abi", false).value_or(false);
  if (const config::Json* p = r.object("params", false)) {
    if (p->members().size() > VNR_MAX_PARAMS) r.error_at(*p, "params", "at most 16 parameters");
    for (const auto& [k, v] : p->members()) {
      if (!v.is_string()) {
        errors.push_back({r.child_path("params") + "." + k, v.location(), "must be a string"});
        continue;
      }
      if (k.size() >= VNR_MAX_PARAM_LEN || v.as_string().size() >= VNR_MAX_PARAM_LEN) {
        errors.push_back({r.child_path("params") + "." + k, v.location(), "key and value must be < 256 characters"});
        continue;
      }
      s.params.push_back({k, v.as_string()});
    }
  }
  if (const config::Json* c = r.object("config", false)) s.config_json = c->dump();
  r.reject_unknown_keys();
  if (auto st = config_errors_status(errors); !st) return core::Err(st.error());
  return s;
}

FilterResult<SlotSpec> parse_slot_section_text(std::string_view json) {
  auto j = parse_config_text(json);
  if (!j) return core::Err(j.error());
  return parse_slot_section(*j, "filter");
}

ChainStatus install_filter(IoChain& chain, const SlotSpec& spec) {
  FilterPlacement where;
  where.slot = spec.slot;
  where.vm_id = chain.port().vm_id;
  where.vnic_index = chain.port().vnic_index;
  where.port_id = chain.port().port_id;
  where.name = filter_name(where.vm_id, where.vnic_index, spec.agent, spec.slot);
  FilterResult<std::unique_ptr<Filter>> f = filter_error(FilterError::kInvalid, "no filter");
  if (!spec.library.empty()) {
    auto lib = FilterLibrary::open(spec.library);
    if (!lib) {
      f = core::Err(lib.error());
    } else {
      auto a = AbiFilter::create((*lib)->ops(spec.slot), where, spec.config_json, spec.params, *lib);
      if (a) f = std::unique_ptr<Filter>(std::move(a).value());
      else f = core::Err(a.error());
    }
  } else if (spec.via_abi) {
    auto a = AbiFilter::create(vnr_reference_filter_ops(spec.slot), where, spec.config_json, spec.params);
    if (a) f = std::unique_ptr<Filter>(std::move(a).value());
    else f = core::Err(a.error());
  } else {
    f = create_reference_filter(where, spec.agent, spec.config_json, spec.params);
  }
  if (f) return chain.attach(spec.slot, std::move(f).value(), spec.policy);
  const std::string why = f.error().to_string();
  if (auto st = chain.attach_failed(spec.slot, spec.agent, spec.policy, why); !st) return st;
  return core::Err<ChainFailure>(ChainFailure{ChainError::kFilter, "filter failed to configure: " + why});
}

}  // namespace vnetref::iochain

extern "C" const vnr_filter_ops* vnr_reference_filter_ops(uint32_t slot) {
  return vnetref::iochain::ops_for(slot);
}
