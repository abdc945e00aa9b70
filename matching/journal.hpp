#pragma once

// The domain's view of the log: append a typed record, learn later whether it is durable.
// matching/ never opens files (STYLE); the gateway adapts storage::commit_log to this.

#include <cstddef>
#include <cstdint>
#include <span>

namespace fg::matching {

// full: no room for now (overloaded); no_space: the disk is full, nothing was written, retry
// later; failed: the log stopped for good.
enum class append_status : std::uint8_t { ok, full, no_space, failed };

struct append_ticket {
    append_status status;
    std::uint64_t end_pos;  // durable once journal::durable_pos() >= end_pos
};

// Thread-safe: every shard appends concurrently.
class journal {
 public:
    virtual ~journal() = default;
    virtual append_ticket append(std::uint16_t type, std::span<const std::byte> payload) = 0;
    virtual std::uint64_t durable_pos() const = 0;
    virtual bool failed() const = 0;
    // The disk is full: writes are refused (outcome::disk_full) until the log can write again;
    // records appended before keep waiting and may still become durable. A cheap read, so a
    // write can be refused before it touches any stock.
    virtual bool no_space() const { return false; }
};

// For an engine that is only ever fed by replay() (a snapshot's shadow, a benchmark): nothing
// may be appended, and nothing ever becomes durable.
class replay_only_journal final : public journal {
 public:
    append_ticket append(std::uint16_t, std::span<const std::byte>) override {
        return {append_status::failed, 0};
    }
    std::uint64_t durable_pos() const override { return 0; }
    bool failed() const override { return true; }
};

}  // namespace fg::matching
