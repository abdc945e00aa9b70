// Reservation and hand-off costs, in process (no network): the stage the gateway's shards run
// per order.

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "matching/engine.hpp"
#include "matching/event_codec.hpp"
#include "matching/inventory.hpp"
#include "matching/timer_wheel.hpp"

namespace fg::matching {
namespace {

constexpr std::int64_t now = 1'800'000'000'000;

sku_state make_sku(std::string id, std::int64_t stock) {
    sku_state s;
    s.id = std::move(id);
    s.name = "bench";
    s.price = {100, *currency_code::parse("CNY")};
    s.stock = stock;
    return s;
}

// Reserve then release one unit of one SKU: the flash-sale hot path on the owner shard.
void BM_matching_reserve_hot_sku(benchmark::State& state) {
    inventory inv;
    inv.apply_upsert(make_sku("hot", 1'000'000));
    stock_line line{"hot", 1};
    for (auto _ : state) {
        reservation r = inv.reserve("buyer", {&line, 1}, now);
        benchmark::DoNotOptimize(r);
        inv.release("buyer", {&line, 1});
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_reserve_hot_sku);

// The same over many SKUs chosen uniformly: hash-map misses instead of one hot entry.
void BM_matching_reserve_uniform_skus(benchmark::State& state) {
    const auto count = static_cast<std::size_t>(state.range(0));
    inventory inv;
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) {
        ids.push_back("sku-" + std::to_string(i));
        inv.apply_upsert(make_sku(ids.back(), 1'000'000));
    }
    std::uint64_t x = 88172645463325252ull;
    for (auto _ : state) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        stock_line line{ids[x % count], 1};
        reservation r = inv.reserve("buyer", {&line, 1}, now);
        benchmark::DoNotOptimize(r);
        inv.release("buyer", {&line, 1});
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_reserve_uniform_skus)->Arg(1'000)->Arg(1'000'000);

// Many buyers over a catalogue with a per-buyer limit: each reserve reads and writes the
// buyer's count for the SKU (the live path of a sale with limits).
void BM_matching_reserve_many_buyers(benchmark::State& state) {
    const auto buyers = static_cast<std::size_t>(state.range(0));
    constexpr std::size_t skus = 1'000;
    inventory inv;
    std::vector<std::string> sku_ids;
    for (std::size_t i = 0; i < skus; ++i) {
        sku_state s = make_sku("sku-" + std::to_string(i), 1'000'000'000);
        s.per_buyer_limit = 1'000'000;
        sku_ids.push_back(s.id);
        inv.apply_upsert(s);
    }
    std::vector<std::string> buyer_ids;
    for (std::size_t i = 0; i < buyers; ++i) buyer_ids.push_back("buyer-" + std::to_string(i));
    std::uint64_t x = 88172645463325252ull;
    for (auto _ : state) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        stock_line line{sku_ids[x % skus], 1};
        const std::string& buyer = buyer_ids[(x >> 20) % buyers];
        reservation r = inv.reserve(buyer, {&line, 1}, now);
        benchmark::DoNotOptimize(r);
        if ((x & 1) != 0) inv.release(buyer, {&line, 1});  // half stay held: counts accumulate
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_reserve_many_buyers)->Arg(1'000)->Arg(1'000'000);

// Replay's inventory work: hold_line for order lines of buyers drawn from a million ids over
// 10k SKUs, into a fresh inventory each time (so the per-buyer tables grow as at start-up).
void BM_matching_inventory_replay_holds(benchmark::State& state) {
    constexpr std::size_t skus = 10'000;
    constexpr std::size_t lines = 200'000;
    std::vector<std::string> sku_ids;
    for (std::size_t i = 0; i < skus; ++i) sku_ids.push_back("sku-" + std::to_string(i));
    std::vector<std::string> buyer_ids;
    std::vector<std::size_t> sku_of_line;
    std::uint64_t x = 88172645463325252ull;
    for (std::size_t i = 0; i < lines; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buyer_ids.push_back("buyer-" + std::to_string((x >> 16) % 1'000'000));
        sku_of_line.push_back(x % skus);
    }
    for (auto _ : state) {
        state.PauseTiming();
        auto inv = std::make_unique<inventory>();
        for (const std::string& id : sku_ids) inv->apply_upsert(make_sku(id, 1'000'000'000));
        state.ResumeTiming();
        for (std::size_t i = 0; i < lines; ++i) {
            stock_line line{sku_ids[sku_of_line[i]], 1};
            benchmark::DoNotOptimize(inv->hold_line(buyer_ids[i], line));
        }
        inv.reset();  // freeing the tables is part of the cost
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines));
}
BENCHMARK(BM_matching_inventory_replay_holds)->Unit(benchmark::kMillisecond);

// A journal that is durable at once, so the benchmark measures the engine alone.
class instant_journal final : public journal {
 public:
    append_ticket append(std::uint16_t, std::span<const std::byte> p) override {
        pos_ += p.size();
        return {append_status::ok, pos_};
    }
    std::uint64_t durable_pos() const override { return pos_; }
    bool failed() const override { return false; }

 private:
    std::uint64_t pos_ = 0;
};

// A whole order through one shard's engine (idempotency, reserve, encode, durable wait),
// then its cancel, so stock never runs out.
void BM_matching_engine_place_order_items(benchmark::State& state) {
    const auto items = static_cast<std::size_t>(state.range(0));
    system_clock clock;
    instant_journal log;
    engine eng(engine_options{.shard_count = 1}, clock, log);
    shard& sh = eng.at(0);
    for (std::size_t i = 0; i < items; ++i) {
        sku_spec spec;
        spec.name = "b";
        spec.price = money{100, *currency_code::parse("CNY")};
        spec.stock = 1'000'000'000;
        sh.put_sku("sku-" + std::to_string(i), spec, [](sku_result) {});
    }
    std::uint64_t n = 0;
    for (auto _ : state) {
        order_request req;
        req.buyer_id = "buyer";
        req.payment_method = "alipay";
        for (std::size_t i = 0; i < items; ++i)
            req.items.push_back({"sku-" + std::to_string(i), 1});
        std::uint64_t id = 0;
        sh.place_order("key-" + std::to_string(++n), std::move(req),
                       [&id](place_result r) { id = r.placed.id; });
        sh.cancel_order(id, [](order_result) {});
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_engine_place_order_items)->Arg(1)->Arg(5);

// A 2-item order whose items live on two shards: the home (this thread) reserves one line
// and the other shard, polled by its own thread, the other; the reply waits for both.
void BM_matching_engine_cross_shard_order(benchmark::State& state) {
    system_clock clock;
    instant_journal log;
    engine eng(engine_options{.shard_count = 2}, clock, log);
    std::string local_sku, remote_sku;
    for (int i = 0; local_sku.empty() || remote_sku.empty(); ++i) {
        std::string id = "sku-" + std::to_string(i);
        (eng.sku_owner(id) == 0 ? local_sku : remote_sku) = id;
    }
    std::atomic<bool> stop{false};
    std::thread other([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            if (eng.at(1).poll() == 0) std::this_thread::yield();
        }
    });
    shard& home = eng.at(0);
    auto run_until = [&home](const bool& done) {
        while (!done) (void)home.poll();
    };
    for (const std::string& id : {local_sku, remote_sku}) {
        sku_spec spec;
        spec.name = "b";
        spec.price = money{100, *currency_code::parse("CNY")};
        spec.stock = 1'000'000'000;
        bool done = false;
        home.put_sku(id, spec, [&done](sku_result) { done = true; });
        run_until(done);
    }
    std::uint64_t n = 0;
    for (auto _ : state) {
        order_request req;
        req.buyer_id = "buyer";
        req.payment_method = "alipay";
        req.items = {{local_sku, 1}, {remote_sku, 1}};
        // Keys whose home is shard 0, so this thread coordinates every order.
        std::string key;
        do {
            key = "key-" + std::to_string(++n);
        } while (eng.key_home(key) != 0);
        bool done = false;
        home.place_order(std::move(key), std::move(req), [&done](place_result) { done = true; });
        run_until(done);
    }
    stop = true;
    other.join();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_engine_cross_shard_order)->UseRealTime();

// A storefront's one-line order, as the order records below carry it.
order sample_order() {
    order o;
    o.id = 1234;
    o.idempotency_key = "0f8e2c1a-6d4b-4f3e-9a1b-7c2d5e6f8a9b";
    o.buyer_id = "buyer-123456";
    o.payment_method = "alipay";
    o.buyer_contact = {"Li Lei", "13800000000", "1 Bench Road, Hangzhou"};
    o.total = {1999, *currency_code::parse("CNY")};
    o.items = {{"flash-tee", 1, o.total}};
    return o;
}

// The order record's payload (the log record body), encoded then decoded: replay's cost.
void BM_matching_order_record_encode_decode(benchmark::State& state) {
    const order o = sample_order();
    std::vector<std::byte> bytes;
    order back;
    for (auto _ : state) {
        encode(o, bytes);
        bool ok = decode(bytes, back);
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_matching_order_record_encode_decode);

// A two-line order record read in place, as replay reads each one on every part: a flash
// sale's log has about one per 240 bytes, and a 10M-order replay decodes 20M on two parts.
void BM_matching_order_placed_view_decode(benchmark::State& state) {
    order o = sample_order();
    o.client = "storefront";
    o.client_ip = "203.0.113.7";
    o.items.push_back({"flash-cap", 1, o.items[0].unit_price});
    o.total.amount_minor *= 2;
    o.history.assign(1, transition{});
    std::vector<std::byte> bytes;
    encode(o, bytes);
    order_placed_view v;
    for (auto _ : state) {
        benchmark::DoNotOptimize(bytes.data());
        bool ok = decode(bytes, v);
        benchmark::DoNotOptimize(ok);
        benchmark::DoNotOptimize(v);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_order_placed_view_decode);

// Hand-off between two cores through a shard inbox: one producer thread, the consumer polls.
void BM_matching_inbox_handoff(benchmark::State& state) {
    inbox box;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> ran{0};
    std::thread consumer([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            if (box.drain(1024) == 0) std::this_thread::yield();
        }
        box.drain(SIZE_MAX);
    });
    std::uint64_t sent = 0;
    for (auto _ : state) {
        box.push([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
        ++sent;
    }
    while (ran.load() < sent) std::this_thread::yield();
    stop = true;
    consumer.join();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_matching_inbox_handoff)->UseRealTime();

// Hold expiry on one shard: 1M unpaid orders whose holds end over 15 minutes are scheduled on
// the shard's timer wheel, then the shard advances every 100 ms until all have fired. The wheel
// is reused across iterations (warm, as in a running shard: no allocation). per_hold is the
// time per hold for schedule plus expiry, in seconds (so "25n" reads 25 ns).
void BM_timer_wheel_hold_and_expire(benchmark::State& state) {
    constexpr std::size_t holds = 1'000'000;
    constexpr std::int64_t hold_ms = 15 * 60'000;
    constexpr std::int64_t tick_ms = 100;
    std::vector<std::int64_t> offsets(holds);
    std::uint64_t x = 88172645463325252ull;
    for (std::int64_t& o : offsets) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        o = static_cast<std::int64_t>(x % hold_ms);
    }
    std::int64_t base = now;
    timer_wheel wheel(base, tick_ms);
    std::uint64_t fired_sum = 0;
    for (auto _ : state) {
        for (std::size_t i = 0; i < holds; ++i) wheel.schedule(base + offsets[i], i);
        for (std::int64_t t = base; t <= base + hold_ms; t += tick_ms) {
            wheel.advance(t, [&](std::uint64_t order) { fired_sum += order; });
        }
        base += hold_ms + tick_ms;
        if (wheel.size() != 0) state.SkipWithError("holds left in the wheel");
    }
    benchmark::DoNotOptimize(fired_sum);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * holds));
    state.counters["per_hold"] = benchmark::Counter(
        static_cast<double>(holds),
        benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_timer_wheel_hold_and_expire)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fg::matching

BENCHMARK_MAIN();
