#pragma once

// The domain never reads the clock itself (STYLE: matching/ injects it), so tests can move time.

#include <chrono>
#include <cstdint>

namespace fg::matching {

// Thread-safe: implementations must allow concurrent calls from every shard.
class clock {
 public:
    virtual ~clock() = default;
    virtual std::int64_t now_ms() const = 0;  // milliseconds since the Unix epoch, UTC
};

class system_clock final : public clock {
 public:
    std::int64_t now_ms() const override {
        auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
        return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    }
};

}  // namespace fg::matching
