#pragma once

// Shared pieces of the disk-fault tests: order loaders that keep a ledger of every request,
// and the audit that a restarted gateway runs against the ledger.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"

namespace fg::testing {

using steady = std::chrono::steady_clock;

// One request as the client saw it. status 0: no answer (timeout, reset, refused connection).
struct ledger_entry {
    std::string key;
    std::string body;
    steady::time_point sent;
    int status = 0;
    std::string code;      // the problem's code, for a refusal
    std::string order_id;  // for a 2xx
};

inline ledger_entry send_order(http_client& c, const std::string& key, const std::string& body) {
    ledger_entry e{.key = key, .body = body, .sent = steady::now()};
    http_reply r;
    try {
        r = c.request("POST", "/v1/orders", body, {{"Idempotency-Key", key}});
    } catch (const std::exception&) {
        return e;  // could not even connect: no answer
    }
    e.status = r.status;
    const nlohmann::json j = r.json();
    if (j.is_object() && r.status >= 200 && r.status < 300) e.order_id = j.value("order_id", "");
    if (j.is_object() && r.status >= 400) e.code = j.value("code", "");
    return e;
}

// Polls `done` until it is true or `timeout` passes, pausing `every` between looks. True if it
// became true.
template <class Pred>
bool poll_until(Pred done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
    const auto deadline = steady::now() + timeout;
    while (!done()) {
        if (steady::now() >= deadline) return false;
        std::this_thread::sleep_for(every);
    }
    return true;
}

// Threads that each place single-unit orders of `sku` back to back on their own keep-alive
// connection, until the first answer that is not 201, `stop`, or `per_thread_max` requests.
// Each keeps its own ledger; in_flight(t) is the index of thread t's unanswered request or -1.
class order_loaders {
 public:
    order_loaders(unsigned short port, int threads, std::string sku, int per_thread_max)
        : ledgers_(static_cast<std::size_t>(threads)),
          in_flight_(std::make_unique<std::atomic<int>[]>(static_cast<std::size_t>(threads))) {
        for (int t = 0; t < threads; ++t) {
            in_flight_[static_cast<std::size_t>(t)] = -1;
            threads_.emplace_back(
                [this, port, t, sku, per_thread_max] { run(port, t, sku, per_thread_max); });
        }
    }
    ~order_loaders() { join(); }
    order_loaders(const order_loaders&) = delete;
    order_loaders& operator=(const order_loaders&) = delete;

    void stop() { stop_.store(true); }
    void join() {
        stop();
        for (auto& th : threads_) {
            if (th.joinable()) th.join();
        }
    }
    int acked() const { return acked_.load(); }
    int finished() const { return finished_.load(); }
    int threads() const { return static_cast<int>(threads_.size()); }
    // The key of thread t's request in flight, or empty.
    std::string in_flight_key(int t) const {
        const int i = in_flight_[static_cast<std::size_t>(t)].load();
        return i < 0 ? std::string() : key_of(t, i);
    }
    // Only after join().
    std::vector<ledger_entry> ledger() const {
        std::vector<ledger_entry> all;
        for (const auto& l : ledgers_) all.insert(all.end(), l.begin(), l.end());
        return all;
    }

 private:
    static std::string key_of(int t, int i) {
        return "load-" + std::to_string(t) + "-" + std::to_string(i);
    }

    void run(unsigned short port, int t, const std::string& sku, int per_thread_max) {
        http_client c(port);
        auto& ledger = ledgers_[static_cast<std::size_t>(t)];
        const std::string body = order_body("loader-" + std::to_string(t), {{sku, 1}});
        for (int i = 0; i < per_thread_max && !stop_.load(); ++i) {
            in_flight_[static_cast<std::size_t>(t)] = i;
            ledger.push_back(send_order(c, key_of(t, i), body));
            in_flight_[static_cast<std::size_t>(t)] = -1;
            if (ledger.back().status != 201) break;
            ++acked_;
        }
        ++finished_;
    }

    std::vector<std::vector<ledger_entry>> ledgers_;
    std::unique_ptr<std::atomic<int>[]> in_flight_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    std::atomic<int> acked_{0};
    std::atomic<int> finished_{0};
};

// After a restart: every 2xx order is there, and every other request is resolved by sending it
// again with its key. `refused_codes` are definite refusals, which must have left nothing
// behind (the retry creates the order: 201). Anything else (no answer, log_failed) may be
// either (200 replayed, or 201). Then each key names one order, so the SKU's held units equal
// the live orders and stock adds up. `cancelled` orders are expected in status cancelled.
inline void audit_after_restart(http_client& c, const std::vector<ledger_entry>& ledger,
                                const std::vector<std::string>& refused_codes,
                                const std::vector<std::string>& cancelled, const std::string& sku,
                                std::int64_t stock) {
    std::int64_t live = 0;
    for (const ledger_entry& e : ledger) {
        if (e.status == 201) {
            const http_reply r = c.get("/v1/orders/" + e.order_id);
            ASSERT_EQ(r.status, 200) << "acknowledged order " << e.order_id << " (key " << e.key
                                     << ") is missing after restart";
            const bool is_cancelled =
                std::find(cancelled.begin(), cancelled.end(), e.order_id) != cancelled.end();
            EXPECT_EQ(r.json()["status"], is_cancelled ? "cancelled" : "pending_payment");
            if (!is_cancelled) ++live;
            continue;
        }
        const http_reply again =
            c.request("POST", "/v1/orders", e.body, {{"Idempotency-Key", e.key}});
        const bool definite = e.status != 0 && std::find(refused_codes.begin(), refused_codes.end(),
                                                         e.code) != refused_codes.end();
        if (definite) {
            EXPECT_EQ(again.status, 201) << "key " << e.key << " was refused with " << e.code
                                         << " but its order exists: " << again.body;
        } else {
            EXPECT_TRUE(again.status == 200 || again.status == 201)
                << "key " << e.key << ": " << again.status << " " << again.body;
        }
        if (again.status == 200 || again.status == 201) ++live;
    }
    const nlohmann::json s = c.get("/v1/skus/" + sku).json();
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s["stock"].get<std::int64_t>(), stock);
    EXPECT_EQ(s["held"].get<std::int64_t>(), live) << s.dump();
    EXPECT_EQ(s["available"].get<std::int64_t>() + s["held"].get<std::int64_t>() +
                  s["sold"].get<std::int64_t>(),
              stock)
        << s.dump();
    EXPECT_GE(s["available"].get<std::int64_t>(), 0);
}

}  // namespace fg::testing
