// The crash loop: drive the real gateway hard over many keep-alive connections, kill -9 it at a
// random moment (mid group commit, mid segment roll), restart it on the same data directory and
// audit it against the client's ledger. Cumulative over all cycles; see tests/crash/README.md
// for the rules. Env: FG_CRASH_CYCLES (default 20), FG_CRASH_SEED (default: random, printed),
// FG_CRASH_MAX_SECONDS (stop starting cycles after this; default 150, 0 = no bound).

#include "crash_loop.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

namespace fg::testing::crash {
namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    return std::strtoull(v, nullptr, 10);
}

}  // namespace

TEST(CrashLoop, AcknowledgedWritesSurviveKill9AndCountsAddUp) {
    run_settings rs;
    rs.seed = env_number("FG_CRASH_SEED", std::random_device{}());
    rs.cycles = static_cast<std::uint32_t>(env_number("FG_CRASH_CYCLES", default_cycles));
    rs.max_seconds = env_number("FG_CRASH_MAX_SECONDS", 150);
    rs.gateway_threads = 2 + static_cast<unsigned>(rs.seed % 3);
    std::printf(
        "crash loop: seed %llu (FG_CRASH_SEED to reproduce), %u cycles, %u gateway threads\n",
        static_cast<unsigned long long>(rs.seed), rs.cycles, rs.gateway_threads);
    std::fflush(stdout);

    crash_loop loop(rs);
    const run_result r = loop.run();
    std::printf("%s\n", r.summary.c_str());
    std::fflush(stdout);
    for (const std::string& v : r.violations) ADD_FAILURE() << v;
    EXPECT_TRUE(r.violations.empty()) << "data kept for post-mortem in " << loop.dir().string();
    EXPECT_GE(r.cycles, std::min<std::uint32_t>(rs.cycles, 3u)) << "too few cycles ran";
}

}  // namespace fg::testing::crash
