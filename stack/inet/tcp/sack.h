// The sender's SACK scoreboard (RFC 2018) and the RFC 6675 loss-recovery queries
// built on it: IsLost, the pipe estimate, and NextSeg.
//
// The scoreboard keeps the SACKed ranges above SND.UNA, sorted and merged, at most
// `max_blocks` of them (net.inet.tcp.sack.maxholes); a block that would exceed the
// bound is ignored and counted (the data is then simply retransmitted or acked
// cumulatively later: correctness never depends on SACK information).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/wire/seq.h"
#include "stack/wire/tcp.h"

namespace vnetref::inet::tcp {

using wire::SackBlock;
using wire::SeqNum;

class SackScoreboard {
 public:
  static constexpr uint32_t kDupThresh = 3;

  struct Range {
    SeqNum start;
    uint32_t len = 0;
  };

  // Adds the blocks of one ACK that lie within (snd_una, snd_max]. Returns how many
  // bytes became newly SACKed; *ignored counts blocks refused by the bound.
  uint32_t update(SeqNum snd_una, SeqNum snd_max, std::span<const SackBlock> blocks, uint32_t max_blocks,
                  uint32_t* ignored);
  // Forgets everything at or below the new cumulative ACK.
  void advance(SeqNum snd_una);
  void clear();

  bool empty() const { return blocks_.empty(); }
  uint32_t sacked_bytes() const { return sacked_; }
  size_t block_count() const { return blocks_.size(); }
  SeqNum highest_sacked() const { return blocks_.empty() ? SeqNum() : blocks_.back().right; }
  bool is_sacked(SeqNum seq) const;

  // RFC 6675 IsLost(seq): DupThresh discontiguous SACKed blocks above seq, or more
  // than (DupThresh - 1) * smss SACKed bytes above it.
  bool is_lost(SeqNum seq, uint32_t smss) const;
  // RFC 6675 SetPipe: octets in flight between snd_una and snd_max.
  uint32_t pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt, uint32_t smss) const;
  // NextSeg rule (1): the first lost, un-SACKed range above high_rxt (at most smss).
  std::optional<Range> next_lost(SeqNum snd_una, SeqNum high_rxt, uint32_t smss) const;
  // NextSeg rule (3): the first un-SACKed range above high_rxt below the highest SACK.
  std::optional<Range> next_unsacked(SeqNum snd_una, SeqNum high_rxt, uint32_t smss) const;

  // NextSeg rule (4), the rescue retransmission: up to smss octets ending at the
  // highest un-SACKed sequence number below snd_max.
  std::optional<Range> rescue(SeqNum snd_una, SeqNum snd_max, uint32_t smss) const;

  std::span<const SackBlock> blocks() const { return blocks_; }

 private:
  std::vector<SackBlock> blocks_;  // sorted, disjoint, non-adjacent
  uint32_t sacked_ = 0;
};

}  // namespace vnetref::inet::tcp
