// TCP counters: per instance (like `netstat -s -p tcp`) and per connection.
//
// Every dropped segment, refused connection and overflowing queue is counted with
// a reason, so "where did my packet go" has an answer in the counters.
#pragma once

#include <cstdint>

#include "stack/core/counters.h"

namespace vnetref::inet::tcp {

enum class TcpDropReason : uint8_t {
  kShort,              // shorter than a TCP header / bad data offset
  kBadChecksum,
  kBadOptions,         // malformed option list
  kNoSocket,           // no listener or connection (answered with RST)
  kBadAddress,         // broadcast/multicast/unspecified address or port 0
  kPaws,               // RFC 7323 PAWS: timestamp older than TS.Recent
  kOutOfWindow,        // sequence outside the receive window (ACKed)
  kAckTooNew,          // RFC 5961 5.2: acks data never sent (challenge ACK)
  kAckTooOld,          // RFC 5961 5.2: older than SND.UNA - MAX.SND.WND
  kRstOutOfWindow,     // RFC 5961 3.2: ignored RST
  kRstChallenged,      // RFC 5961 3.2: in-window RST not exact: challenge ACK sent
  kSynChallenged,      // RFC 5961 4.2: SYN on a synchronized connection
  kChallengeRateLimit, // challenge ACK suppressed by ack_war_maxcnt
  kSynBadFlags,        // SYN with RST/FIN, or ACK to a listener without cookie match
  kListenOverflow,     // accept queue full
  kSyncacheFull,       // embryonic connections at the limit and cookies disabled
  kBadCookie,          // ACK to a listener that is not a valid SYN cookie
  kReassOverflow,      // reassembly queue at reass_maxqueuelen
  kRcvBufFull,         // data beyond the receive buffer
  kNoBuffers,          // buffer pool exhausted while building or queueing
  kIpOutput,           // the IP layer refused a segment (no route, ARP failure ...)
  kSocketLimit,        // maxsockets reached while accepting
  kSackHolesLimit,     // SACK scoreboard full (block ignored)
  kClosedSocket,       // data for a socket whose application closed (RST)
  kTimeWait,           // segment absorbed by TIME_WAIT
  kCount
};
const char* name_of(TcpDropReason r);

// Instance-wide counters. Names follow FreeBSD's struct tcpstat where one exists.
struct TcpStats {
  // connections
  uint64_t connattempt = 0;   // active opens
  uint64_t accepts = 0;       // passive opens completed
  uint64_t connects = 0;      // connections established
  uint64_t drops = 0;         // established connections dropped (RST, timeout)
  uint64_t conndrops = 0;     // embryonic connections dropped
  uint64_t closed = 0;        // connections fully closed (TCB freed)
  uint64_t timeoutdrop = 0;   // dropped by retransmission timeout
  uint64_t keepdrops = 0;     // dropped by keepalive
  uint64_t keepprobe = 0;     // keepalive probes sent
  uint64_t persisttimeo = 0;  // persist timer expirations (zero-window probes)
  uint64_t rexmttimeo = 0;    // retransmission timeouts
  uint64_t delack = 0;        // delayed ACKs sent
  uint64_t finwait2_drops = 0;
  // send
  uint64_t sndtotal = 0;      // segments sent
  uint64_t sndpack = 0;       // data segments
  uint64_t sndbyte = 0;       // data bytes
  uint64_t sndrexmitpack = 0; // retransmitted segments
  uint64_t sndrexmitbyte = 0;
  uint64_t sndacks = 0;       // pure ACKs
  uint64_t sndprobe = 0;      // window probes
  uint64_t sndwinup = 0;      // window updates
  uint64_t sndctrl = 0;       // SYN/FIN/RST
  uint64_t sndrst = 0;
  uint64_t fastrexmit = 0;    // fast retransmits (3 dupacks / RFC 6675 IsLost)
  uint64_t sack_rexmits = 0;  // segments retransmitted from the SACK scoreboard
  uint64_t sack_recovery_episode = 0;
  uint64_t sack_rescue_rexmits = 0;  // RFC 6675 NextSeg rule (4)
  uint64_t newreno_partial_acks = 0;
  uint64_t challenge_acks = 0;  // RFC 5961 challenge ACKs sent
  // receive
  uint64_t rcvtotal = 0;
  uint64_t rcvpack = 0;        // in-sequence data segments
  uint64_t rcvbyte = 0;
  uint64_t rcvduppack = 0;     // completely duplicate segments
  uint64_t rcvdupbyte = 0;
  uint64_t rcvpartduppack = 0;
  uint64_t rcvoopack = 0;      // out-of-order segments queued
  uint64_t rcvoobyte = 0;
  uint64_t rcvpackafterwin = 0;
  uint64_t rcvwinprobe = 0;
  uint64_t rcvdupack = 0;
  uint64_t rcvacktoomuch = 0;
  uint64_t rcvackpack = 0;
  uint64_t rcvackbyte = 0;
  uint64_t rcvwinupd = 0;
  uint64_t rttupdated = 0;
  uint64_t pawsdrop = 0;
  uint64_t rcvsackblocks = 0;
  // SYN cache and cookies
  uint64_t sc_added = 0;
  uint64_t sc_completed = 0;
  uint64_t sc_dropped = 0;
  uint64_t sc_retransmitted = 0;
  uint64_t sc_sendcookie = 0;
  uint64_t sc_recvcookie = 0;
  // ECN (RFC 3168)
  uint64_t ecn_ce = 0;
  uint64_t ecn_ece = 0;
  uint64_t ecn_shs = 0;  // ECN handshakes completed

  core::ReasonCounters<TcpDropReason> dropped;

  void append_to(core::CounterList& out) const;
};

// Per-connection counters (TcpInfo::stats); the instance keeps its own in TcpStats.
struct ConnStats {
  uint64_t segs_out = 0;
  uint64_t segs_in = 0;
  uint64_t bytes_sent = 0;      // data bytes sent incl. retransmissions
  uint64_t bytes_acked = 0;
  uint64_t bytes_received = 0;  // in-order bytes delivered to the receive buffer
  uint64_t retransmits = 0;     // retransmitted segments
  uint64_t rto_events = 0;
  uint64_t fast_recoveries = 0;
  uint64_t dupacks_in = 0;
  uint64_t ooo_segments = 0;
  uint64_t reass_drops = 0;
  uint64_t zero_window_probes = 0;
  uint64_t keepalive_probes = 0;
  uint64_t challenge_acks = 0;
  uint64_t paws_drops = 0;
  uint64_t send_buffer_full = 0;  // send() calls refused or shortened for lack of space
};

}  // namespace vnetref::inet::tcp
