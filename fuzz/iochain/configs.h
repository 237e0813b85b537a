// Seed configurations of the IOChain fuzz targets (chosen by the input's first byte).
#pragma once

#include <string>
#include <vector>

namespace vnetref::iochain::fuzz {

inline const std::vector<std::string> kAclConfigs = {
    R"({})",
    R"({"default_action": "drop", "rules": [{"id": 1, "action": "allow", "ethertype": 2054},
        {"id": 2, "action": "allow", "protocol": "tcp", "dst_ports": [80, "440-450"], "src": ["10.0.0.0/8"]},
        {"id": 3, "action": "drop", "vlan": 3}, {"id": 4, "action": "allow", "protocol": "icmp", "icmp_type": 8},
        {"id": 5, "action": "allow", "direction": "in", "dst_mac": ["02:00:00:00:00:01"]}]})",
    R"({"rules": [{"id": 9, "action": "drop", "src_mac": ["02:00:00:00:00:77"]}, {"id": 10, "action": "drop",
        "dst": ["10.0.0.0-10.0.0.99"], "protocol": 17, "dst_ports": [53]}]})",
};

inline const std::vector<std::string> kSwsecConfigs = {
    R"({"segment": "fuzz", "vnic_mac": "02:00:00:00:00:01"})",
    R"({"segment": "fuzz", "arp_binding_limit": 3, "tofu": false, "binding_timeout_min": 5, "dhcp_client_block": true,
        "non_ip_block": true, "broadcast_rate_limit_pps": {"tx": 3, "rx": 2}, "multicast_rate_limit_pps": {"tx": 1, "rx": 1},
        "central_table": [{"ip": "10.0.0.99", "mac": "02:00:00:00:00:63"}]})",
    R"({"segment": "fuzz2", "vnic_mac": "02:00:00:00:00:01", "spoofguard": false, "arp_suppression": true,
        "static_bindings": [{"ip": "10.0.0.1", "mac": "02:00:00:00:00:01"}]})",
    R"({"segment": "fuzz", "block_vnic": true})",
};

inline const std::vector<std::string> kDfwConfigs = {
    R"({"conn_limit": 64, "frag_limit": 16, "timeouts": {"tcp_established": 100, "udp_first": 5, "purge_interval": 2},
        "addrsets": {"web": ["172.16.0.1", "172.16.10.0/24"]},
        "sections": [
          {"id": 1, "category": "ethernet", "rules": [{"id": 10, "action": "drop", "ethertype": 34997}]},
          {"id": 2, "category": "environment", "rules": [{"id": 20, "action": "jump_to_application", "sources": ["10.1.0.0/16"]},
                                                        {"id": 21, "action": "drop", "sources": ["10.0.0.99"]}]},
          {"id": 3, "category": "application", "tcp_strict": true, "rules": [
            {"id": 30, "action": "allow", "destinations": ["addrset:web"], "services": [{"protocol": "tcp", "dst_ports": [80, 443]}], "log": true},
            {"id": 31, "action": "reject", "services": [{"protocol": "tcp", "dst_ports": [22, 23]}, {"protocol": "udp", "dst_ports": [9999]}]},
            {"id": 32, "action": "allow", "direction": "out", "services": [{"protocol": "udp"}, {"protocol": "icmp", "icmp_type": 8}]}]}],
        "default_rule": {"id": 2, "action": "drop", "log": true}})",
    R"({"conn_limit": 16, "drop_ip_options": true, "sections": [{"rules": [
        {"id": 1, "action": "allow", "sources": ["10.0.0.0/8"], "sources_negate": true}]}], "default_rule": {"id": 2, "action": "allow"}})",
    R"({"conn_limit": 32})",
};

inline const std::vector<std::string> kSvcConfigs = {
    R"({"service": "ids"})",
    R"({"service": "mon", "direction": "out", "failure_policy": "block", "match": [{"protocol": "udp"}, {"protocol": "tcp", "dst_ports": [80]}]})",
    R"({"service": "missing", "failure_policy": "block"})",
    R"({"service": "missing", "failure_policy": "allow"})",
};

// Loopback keys (in == out) so a chain can decrypt its own output when replayed.
inline const std::vector<std::string> kCryptConfigs = {
    R"({"policies": [{"id": 1, "spi_out": 4096, "spi_in": 4096, "replay_window": 64, "rekey_after_packets": 5,
        "key_out": "11111111111111111111111111111111111111111111111111111111111111110a0b0c0d",
        "key_in": "11111111111111111111111111111111111111111111111111111111111111110a0b0c0d"}]})",
    R"({"policies": [{"id": 1, "match": [{"dst": ["172.16.0.0/16"]}], "spi_out": 8192, "spi_in": 8192, "replay_window": 128,
        "rekey_after_seconds": 3, "require_encryption": true,
        "key_out": "22222222222222222222222222222222222222222222222222222222222222220a0b0c0d",
        "key_in": "22222222222222222222222222222222222222222222222222222222222222220a0b0c0d"}]})",
};

}  // namespace vnetref::iochain::fuzz
