// Seeded power loss under a real commit_log: appender threads, the writer thread and real files
// in a temp dir, over the fault-injecting disk (storage/testing/fault_fs.hpp). The power fails at
// a random call (mid-batch, mid-roll, mid-recovery) or at a random moment; then the log is
// reopened with the real file layer and must hold every acknowledged record, intact, in LSN
// order, and nothing that was never appended; and it must keep working.
//
//   FG_POWER_LOSS_SEED=<n>        replay one seed (printed with every violation)
//   FG_POWER_LOSS_RUNS=<n>        how many seeds (default: FG_POWER_LOSS_DEFAULT_RUNS)
//   FG_POWER_LOSS_FIRST_SEED=<n>  the first seed of the runs (default: fresh, printed)

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include "storage/commit_log.hpp"
#include "storage/record_frame.hpp"
#include "storage/testing/fault_fs.hpp"

#ifndef FG_POWER_LOSS_DEFAULT_RUNS
#define FG_POWER_LOSS_DEFAULT_RUNS 300
#endif

namespace fg::storage {
namespace {

using test::replayed_record;

struct appended {
    std::uint64_t lsn;
    std::uint64_t end_pos;
    std::uint16_t type;
    std::uint64_t tag;
    std::uint32_t len;
};

struct totals {
    std::uint64_t runs = 0;
    std::uint64_t appended = 0;
    std::uint64_t acknowledged = 0;
    std::uint64_t survived_unacknowledged = 0;
    std::uint64_t lost_unacknowledged = 0;
    std::uint64_t torn_bytes_cut = 0;
    std::uint64_t crashes_in_open = 0;
    testing::power_loss_report faults;
};

void add(testing::power_loss_report& sum, const testing::power_loss_report& r) {
    sum.writes_unsynced += r.writes_unsynced;
    sum.dropped += r.dropped;
    sum.kept += r.kept;
    sum.garbled += r.garbled;
    sum.torn += r.torn;
    sum.names_unsynced += r.names_unsynced;
    sum.names_undone += r.names_undone;
}

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
    const char* s = std::getenv(name);
    return s != nullptr && *s != '\0' ? std::strtoull(s, nullptr, 10) : fallback;
}

// What the log may hold: every record that can still be replayed, in LSN order. The first
// `must_survive` of them were acknowledged (or replayed by a successful open, which made them
// durable) and may never be lost.
struct log_model {
    std::vector<appended> records;
    std::size_t must_survive = 0;
};

// "" if `got` is a prefix of the model, byte for byte, holding at least `must` records.
std::string check_replay(const std::vector<replayed_record>& got, const log_model& m,
                         std::size_t must) {
    for (std::size_t i = 0; i < got.size(); ++i) {
        const replayed_record& r = got[i];
        if (i >= m.records.size() || r.lsn != m.records[i].lsn) {
            const bool known = std::any_of(m.records.begin(), m.records.end(),
                                           [&](const appended& a) { return a.lsn == r.lsn; });
            return "replayed record " + std::to_string(i) + " at lsn " + std::to_string(r.lsn) +
                   (known ? " out of the append order" : " that was never appended");
        }
        const appended& a = m.records[i];
        if (r.type != a.type || r.payload != test::make_payload(a.tag, a.len)) {
            return "record at lsn " + std::to_string(r.lsn) + " replayed with different bytes";
        }
    }
    if (got.size() < must) {
        return "acknowledged record at lsn " + std::to_string(m.records[got.size()].lsn) +
               " lost (" + std::to_string(got.size()) + " replayed, " + std::to_string(must) +
               " acknowledged)";
    }
    return {};
}

class power_loss_run {
 public:
    power_loss_run(std::uint64_t seed, totals& sum) : rng_(seed), sum_(sum) {
        opts_.dir = dir_.log_dir();
        opts_.ring_bytes = std::size_t{4096} << (rng_() % 3);
        opts_.batch_bytes_max = 256 + rng_() % 3841;
        opts_.segment_bytes = 4096 + 8 * (rng_() % 1537);
        threads_ = 1 + static_cast<int>(rng_() % 4);
        std::filesystem::create_directories(opts_.dir);  // the log's parent is not under test
    }

    // "" or what went wrong.
    std::string run() {
        const int cycles = rng_() % 4 == 0 ? 2 : 1;
        for (int c = 0; c < cycles; ++c) {
            if (std::string v = crash_cycle(c); !v.empty()) return v;
        }
        return recover_and_continue();
    }

 private:
    testing::fault_options next_fault_options() {
        testing::fault_options f;
        f.seed = rng_();
        f.fates = {static_cast<unsigned>(rng_() % 4), static_cast<unsigned>(rng_() % 4),
                   static_cast<unsigned>(rng_() % 4), static_cast<unsigned>(rng_() % 4)};
        if (rng_() % 2 == 0) f.partial_writes = testing::short_writes::sometimes;
        return f;
    }

    // One life of the log ending in a power loss: open (replaying what the last one left),
    // append from several threads, lose the power at a random call (which may be in open()),
    // or right after a random record was appended, or once the appenders are done.
    std::string crash_cycle(int cycle) {
        testing::fault_fs fs(next_fault_options());
        fs.install();
        const std::uint64_t records = 10 + rng_() % 300;
        const std::uint64_t segments = records * 160 / opts_.segment_bytes + 1;
        cycle_plan plan{.cycle = cycle, .records = records};
        if (rng_() % 5 < 3) {
            fs.crash_at_call(1 + rng_() % (8 + records / 2 + 6 * segments));
        } else {
            plan.power_off_after = 1 + rng_() % records;
        }
        std::string v = live_until_power_loss(fs, plan);
        add(sum_.faults, fs.lose_power());
        fs.uninstall();
        return v;
    }

    struct cycle_plan {
        int cycle = 0;
        std::uint64_t records = 0;
        std::uint64_t power_off_after = 0;  // appended records; 0 = not this way
    };

    std::string live_until_power_loss(testing::fault_fs& fs, const cycle_plan& plan) {
        std::vector<replayed_record> got;
        std::string error;
        test::durable_waiter waiter;  // outlives the log: on_durable may run until it stops
        auto log = commit_log::open(opts_, test::collect_into(got), error);
        if (log == nullptr) {
            ++sum_.crashes_in_open;
            if (!fs.powered_off()) return "open failed without a power loss: " + error;
            return check_replay(got, model_, 0);  // whatever it read before the power went
        }
        if (std::string v = accept_replay(*log, got); !v.empty()) return v;
        waiter.attach(*log);
        log->start();
        std::vector<appended> added = append_concurrently(*log, waiter, fs, plan);
        if (!fs.powered_off()) {
            // The crash point was not reached: lose the power now, or once all is durable.
            if (rng_() % 2 == 0 && !added.empty()) {
                (void)waiter.wait_for(*log, added.back().end_pos);
            }
            fs.power_off();
        }
        log->stop();  // the writer fails on its next call, if it had anything left to write
        const std::uint64_t durable = log->durable_pos();
        log.reset();
        std::sort(added.begin(), added.end(),
                  [](const appended& a, const appended& b) { return a.lsn < b.lsn; });
        for (const appended& a : added) {
            model_.records.push_back(a);
            if (a.end_pos <= durable) {
                ++model_.must_survive;
                ++sum_.acknowledged;
            }
        }
        sum_.appended += added.size();
        appended_since_replay_ += added.size();
        return {};
    }

    // A successful open replays a prefix of the model and makes it durable: the rest is gone.
    std::string accept_replay(const commit_log& log, const std::vector<replayed_record>& got) {
        if (std::string v = check_replay(got, model_, model_.must_survive); !v.empty()) return v;
        if (log.replayed().records != got.size()) return "replay_stats.records is wrong";
        const std::size_t lost = model_.records.size() - got.size();
        sum_.lost_unacknowledged += lost;
        sum_.survived_unacknowledged += appended_since_replay_ - lost - acked_since_replay();
        sum_.torn_bytes_cut += log.replayed().truncated_bytes;
        model_.records.resize(got.size());
        model_.must_survive = got.size();
        replayed_count_ = got.size();
        appended_since_replay_ = 0;
        return {};
    }

    std::uint64_t acked_since_replay() const { return model_.must_survive - replayed_count_; }

    // Shared by the appender threads of one cycle.
    struct appender_shared {
        commit_log& log;
        test::durable_waiter& waiter;
        testing::fault_fs& fs;
        std::uint64_t power_off_after;
        std::atomic<std::uint64_t> appended{0};
        std::atomic<bool> stuck{false};
    };

    std::vector<appended> append_concurrently(commit_log& log, test::durable_waiter& waiter,
                                              testing::fault_fs& fs, const cycle_plan& plan) {
        appender_shared shared{log, waiter, fs, plan.power_off_after};
        std::vector<std::vector<appended>> per_thread(static_cast<std::size_t>(threads_));
        std::vector<std::thread> workers;
        for (int w = 0; w < threads_; ++w) {
            const std::uint64_t seed = rng_();
            const std::uint64_t tag_base =
                (std::uint64_t(plan.cycle) << 48) | (std::uint64_t(w) << 32);
            const std::uint64_t count = plan.records / static_cast<std::uint64_t>(threads_) + 1;
            workers.emplace_back([&shared, &out = per_thread[static_cast<std::size_t>(w)], seed,
                                  tag_base, count, w] {
                append_some(shared, seed, tag_base, count, static_cast<std::uint16_t>(1 + w), out);
            });
        }
        for (auto& t : workers) t.join();
        std::vector<appended> all;
        for (const auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
        EXPECT_FALSE(shared.stuck) << "an appender found the ring full for 10 s";
        return all;
    }

    static void append_some(appender_shared& s, std::uint64_t seed, std::uint64_t tag_base,
                            std::uint64_t count, std::uint16_t type, std::vector<appended>& out) {
        std::mt19937_64 rng(seed);
        const std::size_t max_len = s.log.max_payload_bytes();
        for (std::uint64_t i = 0; i < count; ++i) {
            const std::size_t len = rng() % 5 == 0 ? rng() % (max_len + 1) : rng() % 65;
            const std::uint64_t tag = tag_base | i;
            const auto payload = test::make_payload(tag, len);
            append_result r = s.log.append(type, payload);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (r.status == append_status::full) {
                if (std::chrono::steady_clock::now() > deadline) {
                    s.stuck = true;
                    return;
                }
                std::this_thread::yield();
                r = s.log.append(type, payload);
            }
            if (r.status == append_status::failed) return;
            out.push_back({r.lsn, r.end_pos, type, tag, static_cast<std::uint32_t>(len)});
            // Relaxed: only the count matters, the fault layer orders its own state.
            if (s.appended.fetch_add(1, std::memory_order_relaxed) + 1 == s.power_off_after) {
                s.fs.power_off();
            }
            // Like a gateway shard, sometimes wait for the answer before going on.
            if (rng() % 8 == 0 && !s.waiter.wait_for(s.log, r.end_pos)) return;
        }
    }

    // With the real file layer: the log opens, holds what it must, takes new records and keeps
    // them across one more reopen.
    std::string recover_and_continue() {
        std::vector<replayed_record> got;
        std::string error;
        auto log = commit_log::open(opts_, test::collect_into(got), error);
        if (log == nullptr) return "open after the power loss failed: " + error;
        if (std::string v = accept_replay(*log, got); !v.empty()) return v;
        log->start();
        const std::uint64_t more = 1 + rng_() % 20;
        for (std::uint64_t i = 0; i < more; ++i) {
            const std::uint64_t tag = (std::uint64_t{99} << 48) | i;
            const std::uint32_t len = static_cast<std::uint32_t>(rng_() % 100);
            const append_result r = log->append(7, test::make_payload(tag, len));
            if (r.status != append_status::ok) return "append after recovery did not succeed";
            if (!model_.records.empty() && r.lsn < model_.records.back().end_pos) {
                return "append after recovery reused a position";
            }
            model_.records.push_back({r.lsn, r.end_pos, 7, tag, len});
        }
        log->stop();
        if (log->failed()) return "log failed after recovery: " + log->failure_message();
        log.reset();
        got.clear();
        log = commit_log::open(opts_, test::collect_into(got), error);
        if (log == nullptr) return "second open after recovery failed: " + error;
        if (log->replayed().truncated_bytes != 0) return "second open after recovery cut bytes";
        if (got.size() != model_.records.size()) return "second open lost records";
        return check_replay(got, model_, model_.records.size());
    }

    test::temp_dir dir_;
    std::mt19937_64 rng_;
    totals& sum_;
    log_options opts_;
    int threads_ = 1;
    log_model model_;
    std::uint64_t appended_since_replay_ = 0;
    std::size_t replayed_count_ = 0;
};

void print_totals(const totals& t, std::uint64_t violations) {
    std::printf("power-loss: runs=%" PRIu64 " appended=%" PRIu64 " acknowledged=%" PRIu64
                " lost_unacknowledged=%" PRIu64 " survived_unacknowledged=%" PRIu64
                " torn_bytes_cut=%" PRIu64 " crashes_in_open=%" PRIu64 " unsynced_writes=%" PRIu64
                " (dropped=%" PRIu64 " kept=%" PRIu64 " garbled=%" PRIu64 " torn=%" PRIu64
                ") unsynced_names=%" PRIu64 " undone=%" PRIu64 " violations=%" PRIu64 "\n",
                t.runs, t.appended, t.acknowledged, t.lost_unacknowledged,
                t.survived_unacknowledged, t.torn_bytes_cut, t.crashes_in_open,
                t.faults.writes_unsynced, t.faults.dropped, t.faults.kept, t.faults.garbled,
                t.faults.torn, t.faults.names_unsynced, t.faults.names_undone, violations);
}

TEST(PowerLoss, AcknowledgedRecordsSurviveSeededCrashesAndTheLogKeepsWorking) {
    const bool one = std::getenv("FG_POWER_LOSS_SEED") != nullptr;
    const std::uint64_t first =
        one ? env_u64("FG_POWER_LOSS_SEED", 0)
            : env_u64("FG_POWER_LOSS_FIRST_SEED",
                      static_cast<std::uint64_t>(
                          std::chrono::steady_clock::now().time_since_epoch().count()) %
                          1000000000);
    const std::uint64_t runs = one ? 1 : env_u64("FG_POWER_LOSS_RUNS", FG_POWER_LOSS_DEFAULT_RUNS);
    std::printf("power-loss: seeds %" PRIu64 "..%" PRIu64 " (FG_POWER_LOSS_FIRST_SEED=%" PRIu64
                ")\n",
                first, first + runs - 1, first);
    totals sum;
    std::uint64_t violations = 0;
    for (std::uint64_t i = 0; i < runs && violations < 3; ++i) {
        const std::uint64_t seed = first + i;
        const std::string v = power_loss_run(seed, sum).run();
        ++sum.runs;
        if (!v.empty()) {
            ++violations;
            ADD_FAILURE() << "seed " << seed << " (replay with FG_POWER_LOSS_SEED=" << seed
                          << "): " << v;
        }
    }
    print_totals(sum, violations);
    if (runs >= 100) {  // the crashes must really have hit something
        EXPECT_GT(sum.acknowledged, 0u);
        EXPECT_GT(sum.lost_unacknowledged, 0u);
        EXPECT_GT(sum.torn_bytes_cut, 0u);
        EXPECT_GT(sum.crashes_in_open, 0u);
        EXPECT_GT(sum.faults.names_undone, 0u);
    }
}

}  // namespace
}  // namespace fg::storage
