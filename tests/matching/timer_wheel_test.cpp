#include "matching/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <vector>

#include "test_seed.hpp"

namespace fg::matching {
namespace {

constexpr std::int64_t start_ms = 1'800'000'000'000;  // 2027
constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t year_ms = 365 * 24 * hour_ms;

using testing::seed_from_env;

std::vector<std::uint64_t> advance_collect(timer_wheel& w, std::int64_t now_ms) {
    std::vector<std::uint64_t> fired;
    const std::size_t n = w.advance(now_ms, [&](std::uint64_t p) { fired.push_back(p); });
    EXPECT_EQ(n, fired.size());
    return fired;
}

TEST(TimerWheel, EachTimerFiresAtTheFirstAdvanceAtOrAfterItsDeadline) {
    timer_wheel w(start_ms);
    // Offsets around tick, level-0 block (25.6 s) and level-1 block (~1.8 h) edges.
    const std::vector<std::int64_t> offsets = {0,      1,       99,        100,       101,
                                               199,    25'599,  25'600,    25'601,    60'000,
                                               59'999, 900'000, 6'553'599, 6'553'600, 6'553'601};
    for (std::size_t i = 0; i < offsets.size(); ++i) w.schedule(start_ms + offsets[i], i);
    std::vector<std::int64_t> fired_at(offsets.size(), -1);
    std::int64_t now = start_ms;
    std::int64_t prev = start_ms - 1;
    // Steps of 7 ms up to the last deadline and a bit: every deadline is hit between steps.
    while (now <= start_ms + 6'553'700) {
        w.advance(now, [&](std::uint64_t p) {
            ASSERT_EQ(fired_at[p], -1) << "fired twice: " << p;
            fired_at[p] = now;
            // Not early, and not at a later advance than the first one at/after the deadline.
            EXPECT_GE(now, start_ms + offsets[p]);
            EXPECT_LT(prev, start_ms + offsets[p]);
        });
        prev = now;
        now += 7;
    }
    for (std::size_t i = 0; i < offsets.size(); ++i) EXPECT_NE(fired_at[i], -1) << offsets[i];
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, NothingFiresBeforeItsDeadlineWithinTheSameTick) {
    timer_wheel w(start_ms);
    w.schedule(start_ms + 150, 1);  // tick 1, not at its start
    EXPECT_TRUE(advance_collect(w, start_ms + 100).empty());
    EXPECT_TRUE(advance_collect(w, start_ms + 149).empty());
    EXPECT_EQ(advance_collect(w, start_ms + 150), std::vector<std::uint64_t>{1});
    EXPECT_TRUE(advance_collect(w, start_ms + 151).empty());
}

TEST(TimerWheel, PastDeadlineFiresAtTheNextAdvance) {
    timer_wheel w(start_ms);
    EXPECT_TRUE(advance_collect(w, start_ms + 10'000).empty());
    w.schedule(start_ms - year_ms, 1);
    w.schedule(start_ms + 5, 2);
    w.schedule(INT64_MIN, 3);
    w.schedule(start_ms + 10'000, 4);
    std::vector<std::uint64_t> fired = advance_collect(w, start_ms + 10'000);
    std::sort(fired.begin(), fired.end());
    EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST(TimerWheel, JumpOfYearsFiresEverythingDueAndKeepsTheRest) {
    // A tick-by-tick walk would take 10^10 steps here; the wheel goes slot to slot.
    timer_wheel w(start_ms);
    w.schedule(start_ms + hour_ms, 1);
    w.schedule(start_ms + 3 * year_ms, 2);
    w.schedule(start_ms + 20 * year_ms, 3);  // beyond level 3: the overflow list
    w.schedule(start_ms + 40 * year_ms, 4);
    w.schedule(INT64_MAX, 5);
    EXPECT_EQ(advance_collect(w, start_ms + 30 * year_ms).size(), 3u);
    EXPECT_EQ(w.size(), 2u);
    EXPECT_TRUE(advance_collect(w, start_ms + 40 * year_ms - 1).empty());
    EXPECT_EQ(advance_collect(w, start_ms + 40 * year_ms), std::vector<std::uint64_t>{4});
    EXPECT_EQ(advance_collect(w, INT64_MAX), std::vector<std::uint64_t>{5});
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, JumpToTheEndOfTimeWithMillisecondTicksSkipsEmptySpans) {
    // 2^63 ticks: walking even the 2^32-tick spans of the overflow list one by one would take
    // two billion steps; the wheel goes to the span of the earliest overflow deadline.
    timer_wheel w(0, 1);
    w.schedule(INT64_MAX - 1, 1);
    w.schedule(INT64_MAX, 2);
    EXPECT_TRUE(advance_collect(w, INT64_MAX - 2).empty());
    EXPECT_EQ(advance_collect(w, INT64_MAX - 1), std::vector<std::uint64_t>{1});
    EXPECT_EQ(advance_collect(w, INT64_MAX), std::vector<std::uint64_t>{2});
}

TEST(TimerWheel, ScheduledFromTheCallbackFiresAtTheNextAdvance) {
    timer_wheel w(start_ms);
    w.schedule(start_ms + 100, 1);
    std::vector<std::uint64_t> fired;
    const std::size_t n = w.advance(start_ms + 1'000, [&](std::uint64_t p) {
        fired.push_back(p);
        if (p == 1) {
            w.schedule(start_ms, 2);               // already due: held for the next call
            w.schedule(start_ms + 1'000 + 50, 3);  // due later
        }
    });
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(w.size(), 2u);
    EXPECT_EQ(advance_collect(w, start_ms + 1'000), std::vector<std::uint64_t>{2});
    EXPECT_EQ(advance_collect(w, start_ms + 1'050), std::vector<std::uint64_t>{3});
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, SizeCountsScheduledMinusFired) {
    timer_wheel w(start_ms, 50);
    EXPECT_EQ(w.size(), 0u);
    for (std::uint64_t i = 0; i < 1'000; ++i)
        w.schedule(start_ms + static_cast<std::int64_t>(i) * 10, i);
    EXPECT_EQ(w.size(), 1'000u);
    EXPECT_EQ(w.advance(start_ms + 4'995, [](std::uint64_t) {}), 500u);
    EXPECT_EQ(w.size(), 500u);
    EXPECT_EQ(w.advance(start_ms + 4'995, [](std::uint64_t) {}), 0u);
    EXPECT_EQ(w.advance(start_ms + 100'000, [](std::uint64_t) {}), 500u);
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheelDeathTest, AdvanceFromItsOwnCallbackAborts) {
    EXPECT_DEATH(
        {
            timer_wheel w(start_ms);
            w.schedule(start_ms, 1);
            w.advance(start_ms, [&](std::uint64_t) { w.advance(start_ms, [](std::uint64_t) {}); });
        },
        "not reentrant");
}

// Against a std::multimap model: after every advance, the wheel fired exactly the payloads
// whose deadline is <= now. Deadlines in the past, near, minutes, hours and years away; steps
// from 1 ms to days, some backwards; timers scheduled from callbacks. Prints its seed;
// FG_SEED=<n> reproduces a run.
TEST(TimerWheel, MatchesAMultimapModelOverRandomSchedulesAndAdvances) {
    const std::uint64_t seed = seed_from_env("TimerWheel model");
    std::mt19937_64 rng(seed);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    auto random_offset = [&]() -> std::int64_t {
        switch (uniform(0, 9)) {
            case 0:
                return -uniform(0, hour_ms);
            case 1:
                return uniform(0, 300);
            case 2:
            case 3:
                return uniform(0, 30'000);
            case 4:
            case 5:
                return uniform(0, 20 * 60'000);
            case 6:
                return uniform(0, 10 * hour_ms);
            case 7:
                return uniform(0, 30 * 24 * hour_ms);
            case 8:
                return uniform(0, 20 * year_ms);
            default:
                return uniform(0, 1'000);
        }
    };
    for (int run = 0; run < 4; ++run) {
        const std::int64_t tick = std::array<std::int64_t, 4>{100, 1, 7, 1'000}[run];
        std::int64_t now = start_ms + uniform(-1'000'000, 1'000'000);
        timer_wheel w(now, tick);
        std::multimap<std::int64_t, std::uint64_t> model;
        std::uint64_t next_payload = 0;
        for (int step = 0; step < 3'000; ++step) {
            const int adds = static_cast<int>(uniform(0, 40));
            for (int i = 0; i < adds; ++i) {
                const std::int64_t d = now + random_offset();
                w.schedule(d, next_payload);
                model.emplace(d, next_payload++);
            }
            switch (uniform(0, 19)) {
                case 0:
                    now += uniform(hour_ms, 30 * 24 * hour_ms);
                    break;  // slept
                case 1:
                    now -= uniform(0, 5'000);
                    break;  // clock stepped back
                case 2:
                    now += uniform(0, 5 * year_ms);
                    break;
                default:
                    now += uniform(0, 2'000);
                    break;
            }
            std::vector<std::uint64_t> fired;
            std::vector<std::pair<std::int64_t, std::uint64_t>> from_callback;
            const std::size_t n = w.advance(now, [&](std::uint64_t p) {
                fired.push_back(p);
                if (uniform(0, 49) == 0) {
                    const std::int64_t d = now + uniform(-500, 500);
                    w.schedule(d, next_payload);
                    from_callback.emplace_back(d, next_payload++);
                }
            });
            std::vector<std::uint64_t> expected;
            for (auto it = model.begin(); it != model.end() && it->first <= now;) {
                expected.push_back(it->second);
                it = model.erase(it);
            }
            for (const auto& [d, p] : from_callback) model.emplace(d, p);
            std::sort(fired.begin(), fired.end());
            std::sort(expected.begin(), expected.end());
            ASSERT_EQ(n, fired.size());
            ASSERT_EQ(fired, expected) << "run " << run << " step " << step << " seed " << seed;
            ASSERT_EQ(w.size(), model.size()) << "seed " << seed;
        }
        // Drain: everything left fires once at the end of time.
        EXPECT_EQ(w.advance(INT64_MAX, [](std::uint64_t) {}), model.size()) << "seed " << seed;
        EXPECT_EQ(w.size(), 0u);
    }
}

TEST(TimerWheel, OneMillionHoldsOverFifteenMinutesAllFireOnce) {
    constexpr std::size_t holds = 1'000'000;
    constexpr std::int64_t hold_ms = 15 * 60'000;
    timer_wheel w(start_ms);
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<std::int64_t> spread(0, hold_ms);
    std::vector<std::int64_t> deadline(holds);
    for (std::size_t i = 0; i < holds; ++i) {
        deadline[i] = start_ms + spread(rng);
        w.schedule(deadline[i], i);
    }
    EXPECT_EQ(w.size(), holds);
    std::vector<std::uint8_t> fired(holds, 0);
    std::size_t total = 0;
    bool ok = true;
    for (std::int64_t now = start_ms; now <= start_ms + hold_ms + 100; now += 100) {
        total += w.advance(now, [&](std::uint64_t p) {
            ok = ok && fired[p] == 0 && deadline[p] <= now && deadline[p] > now - 100;
            fired[p] = 1;
        });
    }
    EXPECT_TRUE(ok) << "a hold fired twice, early, or more than one tick late";
    EXPECT_EQ(total, holds);
    EXPECT_EQ(std::count(fired.begin(), fired.end(), 1), static_cast<std::ptrdiff_t>(holds));
    EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace fg::matching
