#pragma once

// Draws the run's logical orders from a workload: buyer, distinct SKUs by the workload's choice
// rule, units per item; and decides which requests are retries of an earlier key.

#include <cstdint>
#include <random>

#include "loadtest/ledger.hpp"
#include "loadtest/workload.hpp"
#include "loadtest/zipf_sampler.hpp"

namespace fg::loadtest {

// Thread-local: each client thread owns one, seeded differently, appending to its own ledger.
class order_generator {
 public:
    // Keys are key_seq = local_seq * thread_count + thread_index: unique across threads.
    order_generator(const workload& w, const zipf_sampler* zipf, std::uint64_t seed,
                    unsigned thread_index, unsigned thread_count);

    // The order the next request carries (a new one, or a retry of a recent one), as an index
    // into `l.orders`, which it may append to.
    std::uint32_t next(ledger& l);

 private:
    // How far back a retry may reach, in this thread's orders.
    static constexpr std::uint32_t retry_window = 1024;

    std::uint32_t pick_sku();
    logical_order make_order();

    const workload& workload_;
    const zipf_sampler* zipf_;
    std::mt19937_64 rng_;
    unsigned thread_index_;
    unsigned thread_count_;
    std::uint64_t local_seq_ = 0;
};

}  // namespace fg::loadtest
