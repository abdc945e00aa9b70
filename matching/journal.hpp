#pragma once

// The domain's view of the log: append a typed record, learn later whether it is durable.
// matching/ never opens files (STYLE); the gateway adapts storage::commit_log to this.

#include <cstddef>
#include <cstdint>
#include <span>

namespace fg::matching {

enum class append_status : std::uint8_t { ok, full, failed };

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
};

}  // namespace fg::matching
