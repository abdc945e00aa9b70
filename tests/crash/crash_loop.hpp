#pragma once

// One crash-loop run: a gateway process, the load threads that drive it, the kill -9, the
// restart and the audit against the ledger. Used by crash_loop_test.cpp (CI, a few cycles) and,
// through the same binary, by scripts/crash-loop.sh (1,000 cycles).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "gateway_process.hpp"
#include "http_client.hpp"
#include "ledger.hpp"

namespace fg::testing::crash {

// The gateway's flags for the crash loop, all in this one list (snapshot flags go here too).
inline const std::vector<std::string> crash_gateway_args = {
    "--log-segment-bytes", "65536",   // the minimum: a segment roll every few hundred records
    "--hold-seconds",      "604800",  // no hold may expire during a run
    "--snapshot-records",  "2000",    // snapshots (and segment deletion) happen between kills
};

#ifdef FG_CRASH_SANITIZED
inline constexpr std::uint32_t default_cycles = 8;
#else
inline constexpr std::uint32_t default_cycles = 20;
#endif

struct run_settings {
    std::uint64_t seed = 1;
    std::uint32_t cycles = default_cycles;
    std::uint64_t max_seconds = 0;  // 0: no bound
    unsigned gateway_threads = 3;
};

struct run_result {
    std::uint32_t cycles = 0;
    std::vector<std::string> violations;
    std::string summary;  // one line: the counts scripts/crash-loop.sh reports
};

class crash_loop {
 public:
    explicit crash_loop(run_settings rs);
    ~crash_loop();  // removes the directory unless something failed
    run_result run();
    const std::filesystem::path& dir() const { return dir_; }

 private:
    struct resolution {
        std::int64_t created_now = 0;  // records written after the replay (not in its count)
    };

    void setup_skus();
    void load_and_kill(std::uint32_t cycle);
    void order_worker(std::uint32_t cycle, unsigned t);
    void cancel_worker(std::uint32_t cycle, unsigned t);
    void admin_worker(std::uint32_t cycle);
    void restart_and_audit(std::uint32_t cycle, bool last);
    void resolve_orders(http_client& c, std::uint32_t cycle, resolution& res);
    void resolve_cancels(http_client& c, std::uint32_t cycle);
    void resolve_stock(http_client& c);
    void sweep_orders(std::uint32_t cycle, bool all);
    void check_order(http_client& c, const order_entry& o);
    void check_replayed_keys(http_client& c, std::mt19937_64& rng);
    void check_skus(http_client& c);
    void check_replay(http_client& c, const resolution& res);
    void violation(std::string message);
    std::string summary(std::uint32_t cycles);

    run_settings rs_;
    std::filesystem::path dir_;
    ledger ledger_;
    gateway_process gw_;
    std::mt19937_64 rng_;
    std::atomic<bool> stop_{false};
    std::mutex violations_mu_;
    std::vector<std::string> violations_;
    std::size_t sweep_cursor_ = 0;
    std::uint64_t replayed_last_ = 0;
    std::uint64_t cut_restarts_ = 0;
    std::uint64_t cut_bytes_ = 0;
    std::uint64_t created_after_unknown_ = 0;
};

}  // namespace fg::testing::crash
