#include "stack/wire/dhcpv4.h"

#include <algorithm>
#include <cstring>

namespace vnetref::wire {

const char* to_string(DhcpMessageType t) {
  switch (t) {
    case DhcpMessageType::Discover: return "discover";
    case DhcpMessageType::Offer: return "offer";
    case DhcpMessageType::Request: return "request";
    case DhcpMessageType::Decline: return "decline";
    case DhcpMessageType::Ack: return "ack";
    case DhcpMessageType::Nak: return "nak";
    case DhcpMessageType::Release: return "release";
    case DhcpMessageType::Inform: return "inform";
  }
  return "unknown";
}

const char* dhcp_option_name(uint8_t code) {
  switch (code) {
    case dhcp_option::kPad: return "pad";
    case dhcp_option::kSubnetMask: return "subnet_mask";
    case dhcp_option::kRouter: return "router";
    case dhcp_option::kDnsServer: return "name_server";
    case dhcp_option::kHostName: return "hostname";
    case dhcp_option::kDomainName: return "domain";
    case dhcp_option::kBroadcastAddress: return "broadcast_address";
    case dhcp_option::kRequestedIp: return "requested_addr";
    case dhcp_option::kLeaseTime: return "lease_time";
    case dhcp_option::kOverload: return "overload";
    case dhcp_option::kMessageType: return "message-type";
    case dhcp_option::kServerId: return "server_id";
    case dhcp_option::kParameterRequestList: return "param_req_list";
    case dhcp_option::kMessage: return "error_message";
    case dhcp_option::kMaxMessageSize: return "max_dhcp_size";
    case dhcp_option::kRenewalTime: return "renewal_time";
    case dhcp_option::kRebindingTime: return "rebinding_time";
    case dhcp_option::kVendorClassId: return "vendor_class_id";
    case dhcp_option::kClientId: return "client_id";
    case dhcp_option::kEnd: return "end";
  }
  return nullptr;
}

DhcpMessage DhcpMessage::from(const DhcpView& v) {
  DhcpMessage m;
  m.op = v.op();
  m.htype = v.htype();
  m.hlen = v.hlen();
  m.hops = v.hops();
  m.xid = v.xid();
  m.secs = v.secs();
  m.flags = v.flags();
  m.ciaddr = v.ciaddr();
  m.yiaddr = v.yiaddr();
  m.siaddr = v.siaddr();
  m.giaddr = v.giaddr();
  std::ranges::copy(v.chaddr(), m.chaddr.begin());
  m.sname = v.sname();
  m.file = v.file();
  m.message_type = v.message_type();
  m.subnet_mask = v.subnet_mask();
  m.router = v.router();
  if (auto dns = v.find_option(dhcp_option::kDnsServer); dns && dns->size() % 4 == 0) {
    m.dns_count = static_cast<uint8_t>(std::min(dns->size() / 4, kMaxDnsServers));
    for (size_t i = 0; i < m.dns_count; ++i) m.dns_servers[i] = Ipv4Address::from_bytes(dns->subspan(4 * i, 4));
  }
  m.host_name = v.find_option(dhcp_option::kHostName);
  m.requested_ip = v.requested_ip();
  m.lease_time = v.lease_time();
  m.server_id = v.server_id();
  m.parameter_request_list = v.parameter_request_list();
  m.max_message_size = v.max_message_size();
  m.renewal_time = v.renewal_time();
  m.rebinding_time = v.rebinding_time();
  m.client_id = v.client_id();
  return m;
}

namespace {

size_t span_opt_len(const std::optional<std::span<const uint8_t>>& o) { return o ? 2 + o->size() : 0; }

}  // namespace

size_t DhcpMessage::size() const {
  size_t n = DhcpView::kOptionsOffset;
  if (message_type) n += 3;
  if (subnet_mask) n += 6;
  if (router) n += 6;
  if (dns_count > 0) n += 2 + 4 * size_t{dns_count};
  n += span_opt_len(host_name);
  if (requested_ip) n += 6;
  if (lease_time) n += 6;
  if (server_id) n += 6;
  n += span_opt_len(parameter_request_list);
  if (max_message_size) n += 4;
  if (renewal_time) n += 6;
  if (rebinding_time) n += 6;
  n += span_opt_len(client_id);
  n += 1;  // End
  if (pad_to_bootp_min && n < kBootpMinLen) n = kBootpMinLen;
  return n;
}

Result<size_t, BuildError> DhcpMessage::emit(std::span<uint8_t> out) const {
  const size_t len = size();
  if (sname.size() > 64 || file.size() > 128 || hlen > 16 || dns_count > kMaxDnsServers) {
    return Err(BuildError::InvalidField);
  }
  for (const auto* o : {&host_name, &parameter_request_list, &client_id}) {
    if (*o && (*o)->size() > 255) return Err(BuildError::InvalidField);
  }
  if (out.size() < len) return Err(BuildError::BufferTooSmall);
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(len), 0);
  out[0] = op;
  out[1] = htype;
  out[2] = hlen;
  out[3] = hops;
  store_be32(out, 4, xid);
  store_be16(out, 8, secs);
  store_be16(out, 10, flags);
  ciaddr.write_to(out.subspan(12, 4));
  yiaddr.write_to(out.subspan(16, 4));
  siaddr.write_to(out.subspan(20, 4));
  giaddr.write_to(out.subspan(24, 4));
  std::ranges::copy(chaddr, out.begin() + 28);
  std::ranges::copy(sname, out.begin() + 44);
  std::ranges::copy(file, out.begin() + 108);
  store_be32(out, DhcpView::kFixedLen, DhcpView::kMagicCookie);

  size_t off = DhcpView::kOptionsOffset;
  auto put = [&](uint8_t v) { out[off++] = v; };
  auto put_addr = [&](uint8_t code, Ipv4Address a) {
    put(code);
    put(4);
    a.write_to(out.subspan(off, 4));
    off += 4;
  };
  auto put_u32 = [&](uint8_t code, uint32_t v) {
    put(code);
    put(4);
    store_be32(out, off, v);
    off += 4;
  };
  auto put_bytes = [&](uint8_t code, std::span<const uint8_t> d) {
    put(code);
    put(static_cast<uint8_t>(d.size()));
    std::ranges::copy(d, out.begin() + static_cast<std::ptrdiff_t>(off));
    off += d.size();
  };
  if (message_type) {
    put(dhcp_option::kMessageType);
    put(1);
    put(static_cast<uint8_t>(*message_type));
  }
  if (subnet_mask) put_addr(dhcp_option::kSubnetMask, *subnet_mask);
  if (router) put_addr(dhcp_option::kRouter, *router);
  if (dns_count > 0) {
    put(dhcp_option::kDnsServer);
    put(static_cast<uint8_t>(4 * dns_count));
    for (size_t i = 0; i < dns_count; ++i) {
      dns_servers[i].write_to(out.subspan(off, 4));
      off += 4;
    }
  }
  if (host_name) put_bytes(dhcp_option::kHostName, *host_name);
  if (requested_ip) put_addr(dhcp_option::kRequestedIp, *requested_ip);
  if (lease_time) put_u32(dhcp_option::kLeaseTime, *lease_time);
  if (server_id) put_addr(dhcp_option::kServerId, *server_id);
  if (parameter_request_list) put_bytes(dhcp_option::kParameterRequestList, *parameter_request_list);
  if (max_message_size) {
    put(dhcp_option::kMaxMessageSize);
    put(2);
    store_be16(out, off, *max_message_size);
    off += 2;
  }
  if (renewal_time) put_u32(dhcp_option::kRenewalTime, *renewal_time);
  if (rebinding_time) put_u32(dhcp_option::kRebindingTime, *rebinding_time);
  if (client_id) put_bytes(dhcp_option::kClientId, *client_id);
  put(dhcp_option::kEnd);
  return len;  // any bytes between off and len are the zero padding
}

namespace {

bool same_span_opt(const std::optional<std::span<const uint8_t>>& a, const std::optional<std::span<const uint8_t>>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || std::ranges::equal(*a, *b);
}

// sname/file compare as zero-padded fields: a short span equals its padded form.
bool same_padded(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const uint8_t x = i < a.size() ? a[i] : 0;
    const uint8_t y = i < b.size() ? b[i] : 0;
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool operator==(const DhcpMessage& a, const DhcpMessage& b) {
  if (a.dns_count != b.dns_count) return false;
  for (size_t i = 0; i < a.dns_count && i < DhcpMessage::kMaxDnsServers; ++i) {
    if (a.dns_servers[i] != b.dns_servers[i]) return false;
  }
  return a.op == b.op && a.htype == b.htype && a.hlen == b.hlen && a.hops == b.hops && a.xid == b.xid &&
         a.secs == b.secs && a.flags == b.flags && a.ciaddr == b.ciaddr && a.yiaddr == b.yiaddr &&
         a.siaddr == b.siaddr && a.giaddr == b.giaddr && a.chaddr == b.chaddr && same_padded(a.sname, b.sname) &&
         same_padded(a.file, b.file) && a.message_type == b.message_type && a.subnet_mask == b.subnet_mask &&
         a.router == b.router && same_span_opt(a.host_name, b.host_name) && a.requested_ip == b.requested_ip &&
         a.lease_time == b.lease_time && a.server_id == b.server_id &&
         same_span_opt(a.parameter_request_list, b.parameter_request_list) &&
         a.max_message_size == b.max_message_size && a.renewal_time == b.renewal_time &&
         a.rebinding_time == b.rebinding_time && same_span_opt(a.client_id, b.client_id);
}

}  // namespace vnetref::wire
