#pragma once

// Constant-rate arrivals: request i is due at i / rate seconds after the start, whatever happened
// to the requests before it. Latency is measured from this intended time, so a stalled server
// cannot hide its stall by slowing the client down (no coordinated omission).

#include <cmath>
#include <cstdint>

namespace fg::loadtest {

// Immutable: shared by every client thread (thread t takes i = t, t + T, t + 2T, ...).
class open_loop_schedule {
 public:
    explicit open_loop_schedule(double rate_per_s) : rate_per_s_(rate_per_s) {}
    // Nanoseconds after the start; exact whenever 1e9 / rate is a whole number of nanoseconds.
    std::int64_t intended_ns(std::uint64_t i) const {
        return std::llround(static_cast<double>(i) * 1e9 / rate_per_s_);
    }
    double rate_per_s() const { return rate_per_s_; }

 private:
    double rate_per_s_;
};

}  // namespace fg::loadtest
