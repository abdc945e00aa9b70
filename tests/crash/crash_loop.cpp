#include "crash_loop.hpp"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "fixture.hpp"  // admin, order_body

namespace fg::testing::crash {
namespace {

constexpr int hot_sku_count = 4;        // single-item orders, small stock: sold_out happens
constexpr int hot_stock = 25;           // units per hot SKU at the start
constexpr int hot_limit = 3;            // per-buyer limit on hot SKUs: per_buyer_limit happens
constexpr int wide_sku_count = 8;       // multi-item orders across shards
constexpr int wide_stock = 300;         // units per wide SKU at the start
constexpr int buyer_count = 300;        // buyer ids drawn from this many
constexpr unsigned order_threads = 16;  // one keep-alive connection each
constexpr unsigned cancel_threads = 2;
constexpr int kill_delay_ms_max = 900;
constexpr int sweep_window = 4'000;  // older orders re-read per cycle (all of them at the end)
constexpr unsigned audit_threads = 4;
constexpr int replayed_keys_checked = 16;  // acknowledged keys re-posted per cycle
constexpr int overloaded_retries = 50;

std::string hot_id(int i) { return "hot-" + std::to_string(i); }
std::string wide_id(int i) { return "wide-" + std::to_string(i); }

std::string describe(const item_list& items) {
    std::string out;
    for (const auto& [sku, qty] : items)
        out += (out.empty() ? "" : ",") + sku + "x" + std::to_string(qty);
    return out;
}

// Any exception from the client (a refused connection) is an unknown outcome: status 0.
http_reply send(http_client& c, const std::string& method, const std::string& target,
                const std::string& body = {}, const header_list& headers = {}) {
    try {
        return c.request(method, target, body, headers);
    } catch (const std::exception&) {
        return {};
    }
}

std::string problem_code(const http_reply& r) {
    if (r.header("content-type").rfind("application/problem+json", 0) != 0) return {};
    nlohmann::json j = r.json();
    return j.is_object() && j.contains("code") && j["code"].is_string()
               ? j["code"].get<std::string>()
               : std::string();
}

// A definite refusal: the request was not applied, and the gateway said so precisely.
bool definite_order_refusal(const http_reply& r) {
    const std::string code = problem_code(r);
    if (r.status == 409 || r.status == 422) return code == "sold_out" || code == "per_buyer_limit";
    return r.status == 503 && (code == "overloaded" || code == "log_failed");
}

bool same_items(const nlohmann::json& order, const item_list& items) {
    if (!order.is_object() || !order.contains("items") || !order["items"].is_array()) return false;
    item_list got;
    for (const auto& it : order["items"]) {
        if (!it.contains("sku_id") || !it.contains("qty")) return false;
        got.emplace_back(it["sku_id"].get<std::string>(), it["qty"].get<int>());
    }
    item_list want = items;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    return got == want;
}

item_list random_items(std::mt19937_64& rng) {
    auto roll = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    item_list items;
    if (roll(0, 99) < 55) {
        items.emplace_back(hot_id(roll(0, hot_sku_count - 1)), roll(1, 2));
        return items;
    }
    std::vector<int> wide(wide_sku_count);
    for (int i = 0; i < wide_sku_count; ++i) wide[static_cast<std::size_t>(i)] = i;
    std::shuffle(wide.begin(), wide.end(), rng);
    const int n = roll(2, 4);
    for (int i = 0; i < n; ++i)
        items.emplace_back(wide_id(wide[static_cast<std::size_t>(i)]), roll(1, 3));
    if (roll(0, 3) == 0) items.emplace_back(hot_id(roll(0, hot_sku_count - 1)), 1);
    return items;
}

std::filesystem::path make_run_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "flashgate-crash-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

gateway_options gateway_for(const std::filesystem::path& dir, unsigned threads) {
    gateway_options o;
    o.data_dir = dir / "data";
    o.threads = threads;
    o.extra_args = crash_gateway_args;
    return o;
}

bool snapshots_on() {
    return std::find(crash_gateway_args.begin(), crash_gateway_args.end(), "--snapshot-records") !=
           crash_gateway_args.end();
}

}  // namespace

crash_loop::crash_loop(run_settings rs)
    : rs_(rs),
      dir_(make_run_dir()),
      ledger_(dir_),
      gw_(gateway_for(dir_, rs.gateway_threads)),
      rng_(rs.seed) {
    std::filesystem::create_directories(dir_ / "data");
}

crash_loop::~crash_loop() {
    if (gw_.pid() > 0) gw_.kill9();
    if (violations_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
}

void crash_loop::violation(std::string message) {
    std::lock_guard lock(violations_mu_);
    ledger_.note("VIOLATION " + message);
    violations_.push_back(std::move(message));
}

run_result crash_loop::run() {
    const auto started = std::chrono::steady_clock::now();
    ledger_.open_cycle(0);
    gw_.start();
    setup_skus();
    std::uint32_t done = 0;
    for (std::uint32_t cycle = 1; cycle <= rs_.cycles && violations_.empty(); ++cycle) {
        const auto elapsed = std::chrono::steady_clock::now() - started;
        if (rs_.max_seconds > 0 && elapsed > std::chrono::seconds(rs_.max_seconds)) {
            std::printf("crash loop: time bound of %llu s reached after %u cycles\n",
                        static_cast<unsigned long long>(rs_.max_seconds), done);
            break;
        }
        ledger_.open_cycle(cycle);
        ledger_.compact();
        load_and_kill(cycle);
        restart_and_audit(cycle, cycle == rs_.cycles);
        done = cycle;
    }
    if (violations_.empty() && done > 0 && done < rs_.cycles) {
        sweep_orders(done, true);  // cut short by the time bound: still read every order once
    }
    if (gw_.pid() > 0) {
        const int code = gw_.stop();
        if (code != 0) violation("SIGTERM after the last cycle: exit code " + std::to_string(code));
    }
    run_result r;
    r.cycles = done;
    r.violations = violations_;
    r.summary = summary(done);
    return r;
}

void crash_loop::setup_skus() {
    http_client c(gw_.port());
    auto put = [&](const std::string& id, int stock, int limit) {
        nlohmann::json body = {{"name", "Crash " + id},
                               {"price", {{"amount_minor", 990}, {"currency", "CNY"}}},
                               {"stock", stock}};
        if (limit > 0) body["per_buyer_limit"] = limit;
        http_reply r = send(c, "PUT", "/v1/skus/" + id, body.dump(), admin);
        if (r.status != 201) throw std::runtime_error("cannot create SKU " + id + ": " + r.body);
        ledger_.add_sku(id, stock);
        ledger_.count_record();
    };
    for (int i = 0; i < hot_sku_count; ++i) put(hot_id(i), hot_stock, hot_limit);
    for (int i = 0; i < wide_sku_count; ++i) put(wide_id(i), wide_stock, 0);
}

// Starts the load, kills the gateway after a random delay, and waits for every load thread to
// notice (each stops at its first unanswered request).
void crash_loop::load_and_kill(std::uint32_t cycle) {
    stop_.store(false);
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < order_threads; ++t) {
        threads.emplace_back([this, cycle, t] { order_worker(cycle, t); });
    }
    for (unsigned t = 0; t < cancel_threads; ++t) {
        threads.emplace_back([this, cycle, t] { cancel_worker(cycle, t); });
    }
    threads.emplace_back([this, cycle] { admin_worker(cycle); });
    const int delay_ms = std::uniform_int_distribution<int>(5, kill_delay_ms_max)(rng_);
    // The delay is the fault injection itself (a random moment), not a wait for a condition.
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ledger_.note("c" + std::to_string(cycle) + " KILL after " + std::to_string(delay_ms) + " ms");
    gw_.kill9();
    stop_.store(true);
    for (auto& th : threads) th.join();
}

void crash_loop::order_worker(std::uint32_t cycle, unsigned t) {
    std::mt19937_64 rng(rs_.seed ^ (std::uint64_t{cycle} << 20) ^ (t + 1));
    http_client c(gw_.port());
    const std::string tag = "c" + std::to_string(cycle) + "-t" + std::to_string(t) + "-";
    for (std::uint64_t n = 0; !stop_.load(std::memory_order_relaxed); ++n) {
        const std::string key = tag + std::to_string(n);
        const std::string buyer =
            "buyer-" + std::to_string(std::uniform_int_distribution<int>(0, buyer_count - 1)(rng));
        item_list items = random_items(rng);
        std::string body = order_body(buyer, items);
        ledger_.note("c" + std::to_string(cycle) + " SEND order " + key + " " + describe(items));
        const std::size_t i = ledger_.add_order(key, body, items, cycle);
        ledger_.count_request();
        http_reply r = send(c, "POST", "/v1/orders", body, {{"Idempotency-Key", key}});
        if (r.status == 0) {
            ledger_.set_placed(i, presence::unknown);
            ledger_.count_unknown();
            ledger_.note("UNKNOWN order " + key);
            return;  // the connection is gone: the gateway is (about to be) dead
        }
        if (r.status == 201) {
            nlohmann::json j = r.json();
            const std::string id = j.value("order_id", "");
            if (id.empty() || !same_items(j, items) || j.value("status", "") != "pending_payment") {
                violation("201 for " + key + " with a wrong order: " + r.body);
            }
            if (auto other = ledger_.claim_order_id(id, key); !other.empty()) {
                violation("order " + id + " answered for two keys: " + other + " and " + key);
            }
            ledger_.set_placed(i, presence::present, id);
            ledger_.count_acknowledged();
            ledger_.count_record();
            ledger_.note("ACK order " + key + " " + id);
        } else if (definite_order_refusal(r)) {
            ledger_.set_placed(i, presence::absent);
            ledger_.count_refused();
            // A per-buyer-limit refusal is kept in the log (a key_refused record).
            if (problem_code(r) == "per_buyer_limit") ledger_.count_record();
            ledger_.note("REFUSED order " + key + " " + std::to_string(r.status) + " " +
                         problem_code(r));
        } else {
            ledger_.set_placed(i, presence::absent);
            violation("unexpected answer to order " + key + ": " + std::to_string(r.status) + " " +
                      r.body);
            return;
        }
    }
}

void crash_loop::cancel_worker(std::uint32_t cycle, unsigned t) {
    std::mt19937_64 rng(rs_.seed ^ (std::uint64_t{cycle} << 24) ^ (0xcafe + t));
    http_client c(gw_.port());
    // Bounded: the loop ends at the first unanswered request, or when the cycle stops.
    while (!stop_.load(std::memory_order_relaxed)) {
        auto pick = ledger_.take_for_cancel(rng);
        if (!pick) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));  // pacing: nothing live
            continue;
        }
        const order_entry o = ledger_.order(*pick);
        ledger_.note("c" + std::to_string(cycle) + " SEND cancel " + o.key + " " + o.order_id);
        ledger_.count_request();
        http_reply r = send(c, "POST", "/v1/orders/" + o.order_id + "/cancel");
        if (r.status == 0) {
            ledger_.set_cancel(*pick, presence::unknown, cycle);
            ledger_.count_unknown();
            ledger_.note("UNKNOWN cancel " + o.order_id);
            return;
        }
        if (r.status == 200 && r.json().value("status", "") == "cancelled") {
            ledger_.set_cancel(*pick, presence::present, cycle);
            ledger_.count_acknowledged();
            ledger_.count_record();
            ledger_.note("ACK cancel " + o.order_id);
        } else if (r.status == 503 && !problem_code(r).empty()) {
            ledger_.set_cancel(*pick, presence::absent, cycle);
            ledger_.count_refused();
            ledger_.note("REFUSED cancel " + o.order_id + " " + problem_code(r));
        } else {
            ledger_.set_cancel(*pick, presence::absent, cycle);
            violation("unexpected answer to cancel of " + o.order_id + " (" + o.key +
                      "): " + std::to_string(r.status) + " " + r.body);
            return;
        }
    }
}

// Adds stock now and then. The only writer of stock, one request at a time: at most one delta
// per cycle can be unknown, and an answer's stock must equal the ledger's exactly.
void crash_loop::admin_worker(std::uint32_t cycle) {
    std::mt19937_64 rng(rs_.seed ^ (std::uint64_t{cycle} << 28) ^ 0xad);
    http_client c(gw_.port());
    const auto skus = ledger_.skus();
    while (!stop_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 40)(rng)));  // pacing
        const sku_model& s =
            skus[std::uniform_int_distribution<std::size_t>(0, skus.size() - 1)(rng)];
        const int delta = std::uniform_int_distribution<int>(1, 3)(rng);
        ledger_.note("c" + std::to_string(cycle) + " SEND stock " + s.id + " +" +
                     std::to_string(delta));
        ledger_.count_request();
        http_reply r = send(c, "POST", "/v1/skus/" + s.id + "/stock",
                            R"({"delta": )" + std::to_string(delta) + "}", admin);
        if (r.status == 0) {
            ledger_.stock_unsure(s.id, delta);
            ledger_.count_unknown();
            ledger_.note("UNKNOWN stock " + s.id);
            return;
        }
        if (r.status == 200) {
            ledger_.stock_applied(s.id, delta);
            ledger_.count_acknowledged();
            ledger_.count_record();
            std::int64_t want = 0;
            for (const auto& m : ledger_.skus()) {
                if (m.id == s.id) want = m.stock;
            }
            if (r.json().value("stock", std::int64_t{-1}) != want) {
                violation("stock delta on " + s.id + " answered stock " + r.body +
                          ", ledger says " + std::to_string(want));
            }
            ledger_.note("ACK stock " + s.id);
        } else if (r.status == 503 && !problem_code(r).empty()) {
            ledger_.count_refused();
            ledger_.note("REFUSED stock " + s.id);
        } else {
            violation("unexpected answer to stock delta on " + s.id + ": " +
                      std::to_string(r.status) + " " + r.body);
            return;
        }
    }
}

void crash_loop::restart_and_audit(std::uint32_t cycle, bool last) {
    gw_.start();
    http_client c(gw_.port());
    resolution res;
    resolve_orders(c, cycle, res);
    resolve_cancels(c, cycle);
    resolve_stock(c);
    check_replay(c, res);
    sweep_orders(cycle, last);
    check_replayed_keys(c, rng_);
    check_skus(c);
    const ledger_counts n = ledger_.counts();
    std::printf(
        "cycle %u: replayed %llu records, cut %llu bytes; %zu orders in memory; unknown so "
        "far %llu -> present %llu / absent %llu\n",
        cycle, static_cast<unsigned long long>(replayed_last_),
        static_cast<unsigned long long>(cut_bytes_), ledger_.order_count(),
        static_cast<unsigned long long>(n.unknown),
        static_cast<unsigned long long>(n.resolved_present),
        static_cast<unsigned long long>(n.resolved_absent));
    std::fflush(stdout);
}

// Each unknown order is sent again with the same key and body: 201 replayed means it was
// present, a plain 201 that it was absent (and is now created), a definite refusal that it was
// absent (refusals are kept in memory only, so after a crash a retry is decided afresh).
void crash_loop::resolve_orders(http_client& c, std::uint32_t cycle, resolution& res) {
    for (std::size_t i : ledger_.orders_placed(presence::unknown)) {
        const order_entry o = ledger_.order(i);
        http_reply r;
        for (int attempt = 0; attempt < overloaded_retries; ++attempt) {
            r = send(c, "POST", "/v1/orders", o.body, {{"Idempotency-Key", o.key}});
            if (!(r.status == 503 && problem_code(r) == "overloaded")) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // Retry-After pacing
        }
        const bool replayed = r.status == 201 && r.header("idempotent-replayed") == "true";
        if (replayed || r.status == 201) {
            nlohmann::json j = r.json();
            const std::string id = j.value("order_id", "");
            if (id.empty() || !same_items(j, o.items)) {
                violation("retry of " + o.key + " answered a different order: " + r.body);
            }
            if (auto other = ledger_.claim_order_id(id, o.key); !other.empty()) {
                violation("order " + id + " answered for two keys: " + other + " and " + o.key);
            }
            ledger_.set_placed(i, presence::present, id);
            ledger_.count_record();
            ledger_.count_resolved(replayed);
            if (!replayed) {
                ++res.created_now;
                ++created_after_unknown_;
            }
            ledger_.note("c" + std::to_string(cycle) + " RESOLVED order " + o.key +
                         (replayed ? " present " : " absent, created ") + id);
        } else if (definite_order_refusal(r)) {
            ledger_.set_placed(i, presence::absent);
            ledger_.count_resolved(false);
            if (problem_code(r) == "per_buyer_limit") {
                // Its key_refused record: replayed, it was in the log before the crash;
                // otherwise it was written just now.
                ledger_.count_record();
                if (r.header("idempotent-replayed") != "true") ++res.created_now;
            }
            ledger_.note("c" + std::to_string(cycle) + " RESOLVED order " + o.key + " absent " +
                         problem_code(r));
        } else {
            ledger_.set_placed(i, presence::absent);
            violation("retry of unknown order " + o.key + " answered " + std::to_string(r.status) +
                      " " + r.body);
        }
    }
}

// An unknown cancel is read back: the order is cancelled (applied) or still pending (not).
void crash_loop::resolve_cancels(http_client& c, std::uint32_t cycle) {
    for (std::size_t i : ledger_.orders_cancelled(presence::unknown)) {
        const order_entry o = ledger_.order(i);
        http_reply r = send(c, "GET", "/v1/orders/" + o.order_id);
        const std::string status = r.status == 200 ? r.json().value("status", "") : "";
        if (status == "cancelled") {
            ledger_.set_cancel(i, presence::present, cycle);
            ledger_.count_record();
            ledger_.count_resolved(true);
        } else if (status == "pending_payment") {
            ledger_.set_cancel(i, presence::absent, cycle);
            ledger_.count_resolved(false);
        } else {
            violation("order " + o.order_id + " with an unknown cancel reads " +
                      std::to_string(r.status) + " " + r.body);
            ledger_.set_cancel(i, presence::absent, cycle);
        }
        ledger_.note("RESOLVED cancel " + o.order_id + " " + status);
    }
}

// An unknown stock delta d is resolved by reading the stock: it must be the ledger's stock
// (not applied) or the ledger's stock + d (applied); anything else is a violation.
void crash_loop::resolve_stock(http_client& c) {
    for (const sku_model& s : ledger_.skus()) {
        if (!s.unsure) continue;
        http_reply r = send(c, "GET", "/v1/skus/" + s.id);
        const std::int64_t stock = r.status == 200 ? r.json().value("stock", std::int64_t{-1}) : -1;
        if (stock == s.stock) {
            ledger_.stock_resolved(s.id, 0);
            ledger_.count_resolved(false);
        } else if (stock == s.stock + *s.unsure) {
            ledger_.stock_resolved(s.id, *s.unsure);
            ledger_.count_record();
            ledger_.count_resolved(true);
        } else {
            violation("SKU " + s.id + " stock " + std::to_string(stock) + " after an unknown +" +
                      std::to_string(*s.unsure) + " on " + std::to_string(s.stock));
            ledger_.stock_resolved(s.id, 0);
        }
        ledger_.note("RESOLVED stock " + s.id + " " + std::to_string(stock));
    }
}

// The ready line and /metrics report the replay; without snapshots the record count is exact:
// one record per SKU put, order placed, cancel and delta applied before the crash.
void crash_loop::check_replay(http_client& c, const resolution& res) {
    static const std::regex ready_re(R"(ready \(replayed (\d+) records, cut (\d+) torn bytes\))");
    std::smatch m;
    const std::string& out = gw_.output();
    if (!std::regex_search(out, m, ready_re)) {
        violation("no ready line with replay counts in: " + out);
        return;
    }
    const std::uint64_t records = std::stoull(m[1].str());
    const std::uint64_t cut = std::stoull(m[2].str());
    replayed_last_ = records;
    if (cut > 0) {
        ++cut_restarts_;
        cut_bytes_ += cut;
    }
    const auto want = static_cast<std::uint64_t>(ledger_.records() - res.created_now);
    if (snapshots_on() ? records > want : records != want) {
        violation("replayed " + std::to_string(records) + " records, the ledger knows " +
                  std::to_string(want) + " applied");
    }
    http_reply metrics = send(c, "GET", "/metrics");
    auto gauge = [&metrics](const std::string& name) {
        std::smatch g;
        const std::regex re("\n" + name + " ([0-9.e+-]+)\n");
        return std::regex_search(metrics.body, g, re) ? g[1].str() : std::string("missing");
    };
    if (gauge("flashgate_log_recovery_records") != std::to_string(records) ||
        gauge("flashgate_log_recovery_truncated_bytes") != std::to_string(cut) ||
        gauge("flashgate_log_recovery_seconds") == "missing") {
        violation("/metrics recovery gauges disagree with the ready line (" + m[0].str() + ")");
    }
}

// Reads orders back in parallel: every order touched in this or the previous cycle, plus a
// window of older ones that moves each cycle (all of them when `all`).
void crash_loop::sweep_orders(std::uint32_t cycle, bool all) {
    std::vector<std::size_t> present = ledger_.orders_placed(presence::present);
    std::vector<std::size_t> pick;
    if (all) {
        pick = present;
    } else {
        std::vector<std::size_t> older;
        for (std::size_t i : present) {
            if (ledger_.order(i).cycle + 1 >= cycle) {
                pick.push_back(i);
            } else {
                older.push_back(i);
            }
        }
        for (std::size_t k = 0; k < older.size() && k < static_cast<std::size_t>(sweep_window);
             ++k) {
            pick.push_back(older[(sweep_cursor_ + k) % older.size()]);
        }
        sweep_cursor_ += static_cast<std::size_t>(sweep_window);
    }
    std::vector<std::thread> readers;
    for (unsigned t = 0; t < audit_threads; ++t) {
        readers.emplace_back([this, t, &pick] {
            http_client c(gw_.port());
            for (std::size_t k = t; k < pick.size(); k += audit_threads) {
                check_order(c, ledger_.order(pick[k]));
            }
        });
    }
    for (auto& r : readers) r.join();
}

void crash_loop::check_order(http_client& c, const order_entry& o) {
    http_reply r = send(c, "GET", "/v1/orders/" + o.order_id);
    if (r.status != 200) {
        violation("acknowledged order " + o.order_id + " (" + o.key + ") reads " +
                  std::to_string(r.status) + " " + r.body);
        return;
    }
    nlohmann::json j = r.json();
    const std::string want = o.cancel == presence::present ? "cancelled" : "pending_payment";
    if (j.value("order_id", "") != o.order_id || !same_items(j, o.items) ||
        j.value("status", "") != want) {
        violation("order " + o.order_id + " (" + o.key + ", " + describe(o.items) + ", " + want +
                  ") reads " + r.body);
    }
}

// A few acknowledged keys sent again: the same order comes back, replayed, never a second one.
void crash_loop::check_replayed_keys(http_client& c, std::mt19937_64& rng) {
    std::vector<std::size_t> present = ledger_.orders_placed(presence::present);
    if (present.empty()) return;
    for (int k = 0; k < replayed_keys_checked; ++k) {
        const order_entry o = ledger_.order(
            present[std::uniform_int_distribution<std::size_t>(0, present.size() - 1)(rng)]);
        http_reply r = send(c, "POST", "/v1/orders", o.body, {{"Idempotency-Key", o.key}});
        if (r.status != 201 || r.header("idempotent-replayed") != "true" ||
            r.json().value("order_id", "") != o.order_id) {
            violation("key " + o.key + " sent again answered " + std::to_string(r.status) + " " +
                      r.body + " instead of order " + o.order_id);
        }
    }
}

// Per SKU: the stock adds up, nothing is negative, and held + sold is exactly what the live
// orders the ledger knows as present hold (so refused orders are absent, nothing applied twice).
void crash_loop::check_skus(http_client& c) {
    std::map<std::string, std::int64_t> committed;
    for (std::size_t i : ledger_.orders_placed(presence::present)) {
        const order_entry o = ledger_.order(i);
        if (o.cancel == presence::present) continue;
        for (const auto& [sku, qty] : o.items) committed[sku] += qty;
    }
    for (const sku_model& s : ledger_.skus()) {
        http_reply r = send(c, "GET", "/v1/skus/" + s.id);
        nlohmann::json j = r.json();
        if (r.status != 200 || !j.is_object()) {
            violation("SKU " + s.id + " reads " + std::to_string(r.status) + " " + r.body);
            continue;
        }
        const auto stock = j.value("stock", std::int64_t{-1});
        const auto available = j.value("available", std::int64_t{-1});
        const auto held = j.value("held", std::int64_t{-1});
        const auto sold = j.value("sold", std::int64_t{-1});
        if (stock != s.stock || available < 0 || available + held + sold != stock ||
            held + sold != committed[s.id]) {
            violation("SKU " + s.id + " reads " + r.body + "; the ledger says stock " +
                      std::to_string(s.stock) + ", held + sold " + std::to_string(committed[s.id]));
        }
    }
}

std::string crash_loop::summary(std::uint32_t cycles) {
    const ledger_counts n = ledger_.counts();
    std::ostringstream out;
    out << "crash loop result: seed " << rs_.seed << ", gateway threads " << rs_.gateway_threads
        << ", cycles " << cycles << ", requests " << n.requests << ", acknowledged "
        << n.acknowledged << ", refused " << n.refused << ", unknown " << n.unknown
        << " -> resolved present " << n.resolved_present << " / absent " << n.resolved_absent
        << " (orders created by the retry " << created_after_unknown_ << "), orders present "
        << ledger_.orders_placed(presence::present).size() << ", restarts that cut a torn tail "
        << cut_restarts_ << " (" << cut_bytes_ << " bytes), violations " << violations_.size();
    return out.str();
}

}  // namespace fg::testing::crash
