#include "stack/wire/pretty.h"

#include <cstdarg>
#include <cstdio>

#include "stack/wire/arp.h"
#include "stack/wire/dhcpv4.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

namespace vnetref::wire {

const std::string* LayerFields::find(const std::string& name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string python_bytes_repr(std::span<const uint8_t> bytes) {
  std::string s = "b'";
  for (uint8_t c : bytes) {
    switch (c) {
      case '\\': s += "\\\\"; break;
      case '\'': s += "\\'"; break;
      case '\t': s += "\\t"; break;
      case '\n': s += "\\n"; break;
      case '\r': s += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          s.push_back(static_cast<char>(c));
        } else {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          s += buf;
        }
    }
  }
  s += "'";
  return s;
}

namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list again;
  va_copy(again, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string s;
  if (n > 0) {
    s.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(s.data(), s.size(), fmt, again);
    s.resize(static_cast<size_t>(n));
  }
  va_end(again);
  return s;
}

std::string dec(uint64_t v) { return std::to_string(v); }

// Builds the layer list; each add_* decodes one layer and hands the rest onwards.
class Dissector {
 public:
  std::vector<LayerFields> run(std::span<const uint8_t> frame) {
    ethernet(frame);
    return std::move(layers_);
  }

 private:
  LayerFields& layer(std::string name) {
    layers_.push_back(LayerFields{std::move(name), {}, {}, {}});
    return layers_.back();
  }

  void malformed(const char* scapy_name, const char* label, ParseError e, size_t len) {
    LayerFields& l = layer(scapy_name);
    l.error = to_string(e);
    l.summary = e == ParseError::Truncated ? format("<truncated %s: %zu bytes>", label, len)
                                           : format("<malformed %s: %s, %zu bytes>", label, to_string(e), len);
  }

  void raw(std::span<const uint8_t> data, const char* name = "Raw") {
    if (data.empty()) return;
    LayerFields& l = layer(name);
    l.fields.emplace_back(std::string(name) + ".load", python_bytes_repr(data));
    l.summary = format("%s %zu bytes", name, data.size());
  }

  void ethernet(std::span<const uint8_t> frame) {
    auto eth = EthernetView::parse(frame);
    if (!eth) return malformed("Ether", "Ether", eth.error(), frame.size());
    LayerFields& l = layer("Ether");
    l.fields = {{"Ether.dst", eth->dst().to_string()},
                {"Ether.src", eth->src().to_string()},
                {"Ether.type", dec(eth->ethertype_raw())}};
    l.summary = format("Ether %s > %s type 0x%04x", eth->src().to_string().c_str(), eth->dst().to_string().c_str(),
                       eth->ethertype_raw());
    uint16_t type = eth->ethertype_raw();
    std::span<const uint8_t> rest = eth->payload();
    for (size_t tags = 0; is_vlan_tpid(type); ++tags) {
      const char* name = type == 0x88a8 ? "Dot1AD" : "Dot1Q";
      if (tags == EthernetHeader::kMaxTags) return malformed(name, "802.1Q", ParseError::Unsupported, rest.size());
      auto tag = VlanTagView::parse(rest);
      if (!tag) return malformed(name, "802.1Q", tag.error(), rest.size());
      const VlanTci tci = tag->tci();
      LayerFields& t = layer(name);
      const std::string p = std::string(name) + ".";
      t.fields = {{p + "prio", dec(tci.pcp)},
                  {p + "id", dec(tci.dei ? 1 : 0)},
                  {p + "vlan", dec(tci.vid)},
                  {p + "type", dec(tag->ethertype_raw())}};
      t.summary = format("%s vlan %u prio %u%s type 0x%04x", type == 0x88a8 ? "802.1ad" : "802.1Q", tci.vid, tci.pcp,
                         tci.dei ? " dei" : "", tag->ethertype_raw());
      type = tag->ethertype_raw();
      rest = tag->payload();
    }
    switch (type) {
      case 0x0800: return ipv4(rest);
      case 0x0806: return arp(rest);
      default: return raw(rest);
    }
  }

  void arp(std::span<const uint8_t> data) {
    auto a = ArpView::parse(data);
    if (!a) return malformed("ARP", "ARP", a.error(), data.size());
    LayerFields& l = layer("ARP");
    l.fields = {{"ARP.hwtype", dec(a->htype())},
                {"ARP.ptype", dec(a->ptype())},
                {"ARP.hwlen", dec(a->hlen())},
                {"ARP.plen", dec(a->plen())},
                {"ARP.op", dec(a->op_raw())},
                {"ARP.hwsrc", a->sender_mac().to_string()},
                {"ARP.psrc", a->sender_ip().to_string()},
                {"ARP.hwdst", a->target_mac().to_string()},
                {"ARP.pdst", a->target_ip().to_string()}};
    if (a->op() == ArpOp::Request) {
      l.summary = "ARP who-has " + a->target_ip().to_string() + " tell " + a->sender_ip().to_string();
    } else if (a->op() == ArpOp::Reply) {
      l.summary = "ARP reply " + a->sender_ip().to_string() + " is-at " + a->sender_mac().to_string();
    } else {
      l.summary = format("ARP op %u %s > %s", a->op_raw(), a->sender_ip().to_string().c_str(),
                         a->target_ip().to_string().c_str());
    }
    raw(data.subspan(ArpView::kLen), "Padding");
  }

  static const char* proto_name(uint8_t p) {
    switch (p) {
      case 1: return "ICMP";
      case 2: return "IGMP";
      case 6: return "TCP";
      case 17: return "UDP";
      default: return nullptr;
    }
  }

  static std::string ip_flags_scapy(const Ipv4View& ip) {
    // Scapy's FlagValue string: set bits joined with '+' in bit order MF, DF, evil.
    std::string s;
    auto add = [&](bool on, const char* n) {
      if (!on) return;
      if (!s.empty()) s += "+";
      s += n;
    };
    add(ip.more_fragments(), "MF");
    add(ip.dont_fragment(), "DF");
    add(ip.reserved_flag(), "evil");
    return s;
  }

  static std::string ip_option_name(uint8_t kind) {
    switch (kind) {
      case ipv4_option::kEnd: return "eol";
      case ipv4_option::kNop: return "nop";
      case ipv4_option::kRecordRoute: return "rr";
      case ipv4_option::kTimestamp: return "ts";
      case ipv4_option::kLooseSourceRoute: return "lsrr";
      case ipv4_option::kStrictSourceRoute: return "ssrr";
      case ipv4_option::kRouterAlert: return "ra";
      default: return "opt-" + dec(kind);
    }
  }

  // Fills the IP (or IPerror) layer; returns false when the header is unusable.
  bool ip_layer(const Ipv4View& ip, const char* name, LayerFields& l) {
    const std::string p = std::string(name) + ".";
    const char* pname = proto_name(ip.protocol_raw());
    std::string opts_py = "[";
    std::string opts_txt;
    for (const RawOption& o : ip.option_list()) {
      if (opts_py.size() > 1) opts_py += ", ";
      opts_py += format("(%u, %s)", o.kind, python_bytes_repr(o.data).c_str());
      if (!opts_txt.empty()) opts_txt += ",";
      opts_txt += ip_option_name(o.kind);
    }
    opts_py += "]";
    l.fields = {{p + "version", dec(ip.version())},
                {p + "ihl", dec(ip.ihl())},
                {p + "tos", dec(ip.tos())},
                {p + "len", dec(ip.total_len())},
                {p + "id", dec(ip.ident())},
                {p + "flags", ip_flags_scapy(ip)},
                {p + "frag", dec(ip.fragment_offset())},
                {p + "ttl", dec(ip.ttl())},
                {p + "proto", dec(ip.protocol_raw())},
                {p + "chksum", dec(ip.checksum())},
                {p + "src", ip.src().to_string()},
                {p + "dst", ip.dst().to_string()},
                {p + "options", opts_py}};
    l.summary = format("%s %s > %s ttl %u id %u len %u proto ", std::string_view(name) == "IP" ? "IPv4" : name,
                       ip.src().to_string().c_str(), ip.dst().to_string().c_str(), ip.ttl(), ip.ident(),
                       ip.total_len());
    l.summary += pname ? pname : dec(ip.protocol_raw());
    const std::string flags = ip_flags_scapy(ip);
    if (!flags.empty()) l.summary += " flags " + flags;
    if (ip.fragment_offset() != 0) l.summary += " frag " + dec(ip.fragment_offset_bytes());
    if (!opts_txt.empty()) l.summary += " options [" + opts_txt + "]";
    if (!ip.checksum_valid()) l.summary += format(" bad cksum 0x%04x", ip.checksum());
    return true;
  }

  void ipv4(std::span<const uint8_t> data) {
    auto ip = Ipv4View::parse(data);
    if (!ip) return malformed("IP", "IPv4", ip.error(), data.size());
    ip_layer(*ip, "IP", layer("IP"));
    const auto payload = ip->payload();
    if (ip->fragment_offset() != 0) {
      raw(payload);  // a non-first fragment has no transport header
    } else {
      switch (ip->protocol_raw()) {
        case 1: icmp(payload, *ip); break;
        case 6: tcp(payload, *ip); break;
        case 17: udp(payload, *ip); break;
        default: raw(payload); break;
      }
    }
    // Ethernet minimum-size fill; a malformed transport layer stays the last layer.
    if (layers_.back().error.empty()) raw(data.subspan(ip->bytes().size()), "Padding");
  }

  static std::string icmp_text(const Icmpv4View& m) {
    switch (m.type()) {
      case icmp_type::kEchoRequest: return format("echo request id %u seq %u", m.echo_ident(), m.echo_seq());
      case icmp_type::kEchoReply: return format("echo reply id %u seq %u", m.echo_ident(), m.echo_seq());
      case icmp_type::kDestUnreachable: {
        static constexpr const char* kCodes[] = {"net", "host", "protocol", "port", "frag-needed", "srcfail"};
        if (m.is_frag_needed()) return format("unreachable frag-needed mtu %u", m.next_hop_mtu());
        if (m.code() < 6) return std::string("unreachable ") + kCodes[m.code()];
        return format("unreachable code %u", m.code());
      }
      case icmp_type::kTimeExceeded:
        return m.code() == 0 ? "time exceeded ttl" : m.code() == 1 ? "time exceeded reassembly"
                                                                   : format("time exceeded code %u", m.code());
      case icmp_type::kRedirect: return format("redirect code %u gw %s", m.code(), m.gateway().to_string().c_str());
      case icmp_type::kParameterProblem: return format("parameter problem ptr %u", m.pointer());
      case icmp_type::kSourceQuench: return "source quench";
      default: return format("type %u code %u", m.type(), m.code());
    }
  }

  void icmp(std::span<const uint8_t> data, const Ipv4View& ip) {
    auto m = Icmpv4View::parse(data);
    if (!m) return malformed("ICMP", "ICMP", m.error(), data.size());
    LayerFields& l = layer("ICMP");
    l.fields = {{"ICMP.type", dec(m->type())}, {"ICMP.code", dec(m->code())}, {"ICMP.chksum", dec(m->checksum())}};
    switch (m->type()) {
      case icmp_type::kEchoRequest:
      case icmp_type::kEchoReply:
      case icmp_type::kTimestamp:
      case icmp_type::kTimestampReply:
        l.fields.emplace_back("ICMP.id", dec(m->echo_ident()));
        l.fields.emplace_back("ICMP.seq", dec(m->echo_seq()));
        break;
      case icmp_type::kDestUnreachable:
        l.fields.emplace_back("ICMP.nexthopmtu", dec(m->next_hop_mtu()));
        break;
      case icmp_type::kRedirect: l.fields.emplace_back("ICMP.gw", m->gateway().to_string()); break;
      case icmp_type::kParameterProblem: l.fields.emplace_back("ICMP.ptr", dec(m->pointer())); break;
      default: break;
    }
    l.summary = "ICMP " + icmp_text(*m);
    if (!ip.is_fragment() && !m->checksum_valid()) l.summary += format(" bad cksum 0x%04x", m->checksum());
    if (!m->is_error()) return raw(m->data());
    auto q = m->quoted_packet();
    if (!q) return malformed("IPerror", "quoted IPv4", q.error(), m->data().size());
    ip_layer(*q, "IPerror", layer("IPerror"));
    quoted_transport(*q);
  }

  // The quote holds only the first 8 bytes of the transport header: ports (and the
  // TCP sequence number, UDP length, ICMP id/seq) are all there is.
  void quoted_transport(const Ipv4View& q) {
    const auto d = q.payload();
    const uint8_t proto = q.protocol_raw();
    if (proto != 6 && proto != 17 && proto != 1) return raw(d);
    const char* name = proto == 6 ? "TCPerror" : proto == 17 ? "UDPerror" : "ICMPerror";
    if (d.size() < 8) return malformed(name, name, ParseError::Truncated, d.size());
    LayerFields& l = layer(name);
    const std::string p = std::string(name) + ".";
    if (proto == 1) {
      l.fields = {{p + "type", dec(d[0])}, {p + "code", dec(d[1])}, {p + "chksum", dec(load_be16(d, 2))}};
      l.summary = format("ICMPerror type %u code %u", d[0], d[1]);
    } else if (proto == 6) {
      l.fields = {{p + "sport", dec(load_be16(d, 0))}, {p + "dport", dec(load_be16(d, 2))}, {p + "seq", dec(load_be32(d, 4))}};
      l.summary = format("TCPerror %u > %u seq %u", load_be16(d, 0), load_be16(d, 2), load_be32(d, 4));
    } else {
      l.fields = {{p + "sport", dec(load_be16(d, 0))},
                  {p + "dport", dec(load_be16(d, 2))},
                  {p + "len", dec(load_be16(d, 4))},
                  {p + "chksum", dec(load_be16(d, 6))}};
      l.summary = format("UDPerror %u > %u len %u", load_be16(d, 0), load_be16(d, 2), load_be16(d, 4));
    }
    raw(d.subspan(8));
  }

  void udp(std::span<const uint8_t> data, const Ipv4View& ip) {
    auto u = UdpView::parse(data);
    if (!u) return malformed("UDP", "UDP", u.error(), data.size());
    LayerFields& l = layer("UDP");
    l.fields = {{"UDP.sport", dec(u->src_port())},
                {"UDP.dport", dec(u->dst_port())},
                {"UDP.len", dec(u->length())},
                {"UDP.chksum", dec(u->checksum())}};
    l.summary = format("UDP %u > %u len %u", u->src_port(), u->dst_port(), u->length());
    if (!ip.is_fragment() && !u->checksum_valid(ip.src(), ip.dst())) {
      l.summary += format(" bad cksum 0x%04x", u->checksum());
    }
    const bool dhcp_ports = (u->src_port() == kDhcpClientPort || u->src_port() == kDhcpServerPort) &&
                            (u->dst_port() == kDhcpClientPort || u->dst_port() == kDhcpServerPort);
    if (dhcp_ports && !ip.is_fragment()) return dhcp(u->payload());
    raw(u->payload());
  }

  static std::string tcp_options_text(const TcpView& t, std::string& py) {
    std::string s;
    py = "[";
    for (const RawOption& o : t.option_list()) {
      if (!s.empty()) s += ",";
      if (py.size() > 1) py += ", ";
      const auto d = o.data;
      switch (o.kind) {
        case tcp_option::kEnd: s += "eol"; py += "('EOL', None)"; break;
        case tcp_option::kNop: s += "nop"; py += "('NOP', None)"; break;
        case tcp_option::kMss: s += "mss " + dec(load_be16(d, 0)); py += "('MSS', " + dec(load_be16(d, 0)) + ")"; break;
        case tcp_option::kWindowScale: s += "wscale " + dec(d[0]); py += "('WScale', " + dec(d[0]) + ")"; break;
        case tcp_option::kSackPermitted: s += "sackOK"; py += "('SAckOK', b'')"; break;
        case tcp_option::kTimestamps:
          s += format("TS val %u ecr %u", load_be32(d, 0), load_be32(d, 4));
          py += format("('Timestamp', (%u, %u))", load_be32(d, 0), load_be32(d, 4));
          break;
        case tcp_option::kSack: {
          s += "sack " + dec(d.size() / 8) + " ";
          py += "('SAck', (";
          for (size_t i = 0; i + 8 <= d.size(); i += 8) {
            s += format("{%u:%u}", load_be32(d, i), load_be32(d, i + 4));
            py += format("%s%u, %u", i == 0 ? "" : ", ", load_be32(d, i), load_be32(d, i + 4));
          }
          py += "))";
          break;
        }
        default:
          s += format("opt-%u:%zu", o.kind, d.size());
          py += format("(%u, %s)", o.kind, python_bytes_repr(d).c_str());
      }
    }
    py += "]";
    return s;
  }

  void tcp(std::span<const uint8_t> data, const Ipv4View& ip) {
    auto t = TcpView::parse(data);
    if (!t) return malformed("TCP", "TCP", t.error(), data.size());
    LayerFields& l = layer("TCP");
    std::string opts_py;
    const std::string opts = tcp_options_text(*t, opts_py);
    l.fields = {{"TCP.sport", dec(t->src_port())},
                {"TCP.dport", dec(t->dst_port())},
                {"TCP.seq", dec(t->seq().raw())},
                {"TCP.ack", dec(t->ack().raw())},
                {"TCP.dataofs", dec(t->data_offset())},
                {"TCP.reserved", dec(t->reserved())},
                {"TCP.flags", t->flags().to_scapy()},
                {"TCP.window", dec(t->window())},
                {"TCP.chksum", dec(t->checksum())},
                {"TCP.urgptr", dec(t->urgent_ptr())},
                {"TCP.options", opts_py}};
    l.summary = format("TCP %u > %u [%s] seq %u ack %u win %u", t->src_port(), t->dst_port(),
                       t->flags().to_tcpdump().c_str(), t->seq().raw(), t->ack().raw(), t->window());
    if (t->flags().urg()) l.summary += " urg " + dec(t->urgent_ptr());
    if (!opts.empty()) l.summary += " <" + opts + ">";
    if (!t->payload().empty()) l.summary += " len " + dec(t->payload().size());
    if (!ip.is_fragment() && !t->checksum_valid(ip.src(), ip.dst())) {
      l.summary += format(" bad cksum 0x%04x", t->checksum());
    }
    raw(t->payload());
  }

  static std::string dhcp_option_py(const RawOption& o) {
    const char* name = dhcp_option_name(o.kind);
    const auto d = o.data;
    if (o.kind == dhcp_option::kEnd || o.kind == dhcp_option::kPad) return format("'%s'", name);
    auto addr_list = [&] {
      std::string s;
      for (size_t i = 0; i + 4 <= d.size(); i += 4) {
        s += (i ? ", '" : "'") + Ipv4Address::from_bytes(d.subspan(i, 4)).to_string() + "'";
      }
      return s;
    };
    switch (o.kind) {
      case dhcp_option::kMessageType:
      case dhcp_option::kOverload:
        if (d.size() == 1) return format("('%s', %u)", name, d[0]);
        break;
      case dhcp_option::kSubnetMask:
      case dhcp_option::kRouter:
      case dhcp_option::kDnsServer:
      case dhcp_option::kBroadcastAddress:
      case dhcp_option::kRequestedIp:
      case dhcp_option::kServerId:
        if (!d.empty() && d.size() % 4 == 0) return format("('%s', %s)", name, addr_list().c_str());
        break;
      case dhcp_option::kLeaseTime:
      case dhcp_option::kRenewalTime:
      case dhcp_option::kRebindingTime:
        if (d.size() == 4) return format("('%s', %u)", name, load_be32(d, 0));
        break;
      case dhcp_option::kMaxMessageSize:
        if (d.size() == 2) return format("('%s', %u)", name, load_be16(d, 0));
        break;
      case dhcp_option::kParameterRequestList: {
        std::string s = format("('%s', [", name);
        for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + dec(d[i]);
        return s + "])";
      }
      default: break;
    }
    if (name != nullptr) return format("('%s', %s)", name, python_bytes_repr(d).c_str());
    return format("(%u, %s)", o.kind, python_bytes_repr(d).c_str());
  }

  void dhcp(std::span<const uint8_t> data) {
    auto m = DhcpView::parse(data);
    if (!m) return malformed("BOOTP", "DHCP", m.error(), data.size());
    LayerFields& b = layer("BOOTP");
    const auto chaddr = m->chaddr();
    b.fields = {{"BOOTP.op", dec(m->op())},
                {"BOOTP.htype", dec(m->htype())},
                {"BOOTP.hlen", dec(m->hlen())},
                {"BOOTP.hops", dec(m->hops())},
                {"BOOTP.xid", dec(m->xid())},
                {"BOOTP.secs", dec(m->secs())},
                {"BOOTP.flags", m->broadcast_flag() ? "B" : ""},
                {"BOOTP.ciaddr", m->ciaddr().to_string()},
                {"BOOTP.yiaddr", m->yiaddr().to_string()},
                {"BOOTP.siaddr", m->siaddr().to_string()},
                {"BOOTP.giaddr", m->giaddr().to_string()},
                {"BOOTP.chaddr", python_bytes_repr(chaddr)},
                {"BOOTP.options", python_bytes_repr(m->bytes().subspan(DhcpView::kFixedLen, 4))}};
    const auto mac = m->client_mac();
    b.summary = format("BOOTP %s xid 0x%08x client %s", m->op() == 1 ? "request" : "reply", m->xid(),
                       mac ? mac->to_string().c_str() : "?");
    if (!m->ciaddr().is_unspecified()) b.summary += " ciaddr " + m->ciaddr().to_string();
    if (!m->yiaddr().is_unspecified()) b.summary += " yiaddr " + m->yiaddr().to_string();
    if (!m->giaddr().is_unspecified()) b.summary += " giaddr " + m->giaddr().to_string();
    if (m->broadcast_flag()) b.summary += " broadcast";

    LayerFields& d = layer("DHCP");
    std::string py = "[";
    for (const RawOption& o : m->option_list()) {
      if (py.size() > 1) py += ", ";
      py += dhcp_option_py(o);
    }
    py += "]";
    d.fields = {{"DHCP.options", py}};
    const auto type = m->message_type();
    d.summary = std::string("DHCP ") + (type ? to_string(*type) : "no-type");
    if (auto v = m->requested_ip()) d.summary += " requested " + v->to_string();
    if (auto v = m->server_id()) d.summary += " server " + v->to_string();
    if (auto v = m->lease_time()) d.summary += " lease " + dec(*v);
    if (auto v = m->subnet_mask()) d.summary += " mask " + v->to_string();
    if (auto v = m->router()) d.summary += " router " + v->to_string();
  }

  std::vector<LayerFields> layers_;
};

}  // namespace

std::vector<LayerFields> dissect(std::span<const uint8_t> frame) { return Dissector().run(frame); }

std::string describe_frame(std::span<const uint8_t> frame) {
  std::string out;
  for (const LayerFields& l : dissect(frame)) {
    if (!out.empty()) out += '\n';
    out += l.summary;
  }
  return out;
}

}  // namespace vnetref::wire
