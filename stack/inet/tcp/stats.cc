#include "stack/inet/tcp/stats.h"

#include <string>

namespace vnetref::inet::tcp {

const char* name_of(TcpDropReason r) {
  switch (r) {
    case TcpDropReason::kShort: return "short";
    case TcpDropReason::kBadChecksum: return "bad_checksum";
    case TcpDropReason::kBadOptions: return "bad_options";
    case TcpDropReason::kNoSocket: return "no_socket";
    case TcpDropReason::kBadAddress: return "bad_address";
    case TcpDropReason::kPaws: return "paws";
    case TcpDropReason::kOutOfWindow: return "out_of_window";
    case TcpDropReason::kAckTooNew: return "ack_too_new";
    case TcpDropReason::kAckTooOld: return "ack_too_old";
    case TcpDropReason::kRstOutOfWindow: return "rst_out_of_window";
    case TcpDropReason::kRstChallenged: return "rst_challenged";
    case TcpDropReason::kSynChallenged: return "syn_challenged";
    case TcpDropReason::kChallengeRateLimit: return "challenge_rate_limited";
    case TcpDropReason::kSynBadFlags: return "bad_flags";
    case TcpDropReason::kListenOverflow: return "listen_overflow";
    case TcpDropReason::kSyncacheFull: return "syncache_full";
    case TcpDropReason::kBadCookie: return "bad_cookie";
    case TcpDropReason::kReassOverflow: return "reass_overflow";
    case TcpDropReason::kRcvBufFull: return "rcvbuf_full";
    case TcpDropReason::kNoBuffers: return "no_buffers";
    case TcpDropReason::kIpOutput: return "ip_output_failed";
    case TcpDropReason::kSocketLimit: return "socket_limit";
    case TcpDropReason::kSackHolesLimit: return "sack_holes_limit";
    case TcpDropReason::kClosedSocket: return "closed_socket";
    case TcpDropReason::kTimeWait: return "time_wait";
    case TcpDropReason::kCount: break;
  }
  return "?";
}

void TcpStats::append_to(core::CounterList& out) const {
  auto add = [&](const char* name, uint64_t v) { out.push_back({std::string("tcp.") + name, v}); };
#define VNETREF_TCP_COUNTER(f) add(#f, f)
  VNETREF_TCP_COUNTER(connattempt);
  VNETREF_TCP_COUNTER(accepts);
  VNETREF_TCP_COUNTER(connects);
  VNETREF_TCP_COUNTER(drops);
  VNETREF_TCP_COUNTER(conndrops);
  VNETREF_TCP_COUNTER(closed);
  VNETREF_TCP_COUNTER(timeoutdrop);
  VNETREF_TCP_COUNTER(keepdrops);
  VNETREF_TCP_COUNTER(keepprobe);
  VNETREF_TCP_COUNTER(persisttimeo);
  VNETREF_TCP_COUNTER(rexmttimeo);
  VNETREF_TCP_COUNTER(delack);
  VNETREF_TCP_COUNTER(finwait2_drops);
  VNETREF_TCP_COUNTER(sndtotal);
  VNETREF_TCP_COUNTER(sndpack);
  VNETREF_TCP_COUNTER(sndbyte);
  VNETREF_TCP_COUNTER(sndrexmitpack);
  VNETREF_TCP_COUNTER(sndrexmitbyte);
  VNETREF_TCP_COUNTER(sndacks);
  VNETREF_TCP_COUNTER(sndprobe);
  VNETREF_TCP_COUNTER(sndwinup);
  VNETREF_TCP_COUNTER(sndctrl);
  VNETREF_TCP_COUNTER(sndrst);
  VNETREF_TCP_COUNTER(fastrexmit);
  VNETREF_TCP_COUNTER(sack_rexmits);
  VNETREF_TCP_COUNTER(sack_recovery_episode);
  VNETREF_TCP_COUNTER(sack_rescue_rexmits);
  VNETREF_TCP_COUNTER(newreno_partial_acks);
  VNETREF_TCP_COUNTER(challenge_acks);
  VNETREF_TCP_COUNTER(rcvtotal);
  VNETREF_TCP_COUNTER(rcvpack);
  VNETREF_TCP_COUNTER(rcvbyte);
  VNETREF_TCP_COUNTER(rcvduppack);
  VNETREF_TCP_COUNTER(rcvdupbyte);
  VNETREF_TCP_COUNTER(rcvpartduppack);
  VNETREF_TCP_COUNTER(rcvoopack);
  VNETREF_TCP_COUNTER(rcvoobyte);
  VNETREF_TCP_COUNTER(rcvpackafterwin);
  VNETREF_TCP_COUNTER(rcvwinprobe);
  VNETREF_TCP_COUNTER(rcvdupack);
  VNETREF_TCP_COUNTER(rcvacktoomuch);
  VNETREF_TCP_COUNTER(rcvackpack);
  VNETREF_TCP_COUNTER(rcvackbyte);
  VNETREF_TCP_COUNTER(rcvwinupd);
  VNETREF_TCP_COUNTER(rttupdated);
  VNETREF_TCP_COUNTER(pawsdrop);
  VNETREF_TCP_COUNTER(rcvsackblocks);
  VNETREF_TCP_COUNTER(sc_added);
  VNETREF_TCP_COUNTER(sc_completed);
  VNETREF_TCP_COUNTER(sc_dropped);
  VNETREF_TCP_COUNTER(sc_retransmitted);
  VNETREF_TCP_COUNTER(sc_sendcookie);
  VNETREF_TCP_COUNTER(sc_recvcookie);
  VNETREF_TCP_COUNTER(ecn_ce);
  VNETREF_TCP_COUNTER(ecn_ece);
  VNETREF_TCP_COUNTER(ecn_shs);
#undef VNETREF_TCP_COUNTER
  dropped.for_each([&](const char* name, uint64_t v) { out.push_back({std::string("tcp.drop.") + name, v}); },
                   /*all=*/true);
}

}  // namespace vnetref::inet::tcp
