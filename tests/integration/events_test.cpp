// GET /v1/events over real loopback sockets: a raw Server-Sent Events reader against the real
// binary, with real log files (resume from the log, across kill -9, past retention).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "fixture.hpp"

namespace fg::testing {
namespace {

namespace fs = std::filesystem;

struct sse_event {
    std::string name;  // "order", "low_stock", ...
    std::string id;    // empty for events without one
    std::string data;  // the raw data line
    nlohmann::json json() const { return nlohmann::json::parse(data, nullptr, false); }
};

// A blocking SSE client on a raw socket: sends the request, reads the response head, then
// hands out events one at a time, each wait bounded.
class sse_reader {
 public:
    sse_reader(unsigned short port, const header_list& headers,
               const std::string& target = "/v1/events") {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            return;
        }
        std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
        req += "\r\n";
        if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
            return;
        }
        const auto end = deadline(10'000);
        std::size_t head_end = std::string::npos;
        while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos && fill(end)) {
        }
        if (head_end == std::string::npos) return;
        head_ = buf_.substr(0, head_end);
        buf_.erase(0, head_end + 4);
        status = std::atoi(head_.substr(9, 3).c_str());
    }
    ~sse_reader() { close(); }
    sse_reader(const sse_reader&) = delete;
    sse_reader& operator=(const sse_reader&) = delete;

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    bool head_has(const std::string& line) const { return head_.find(line) != std::string::npos; }
    // The body after the head, when the response was not a stream.
    std::string rest(int timeout_ms = 5'000) {
        const auto end = deadline(timeout_ms);
        while (fill(end)) {
        }
        return buf_;
    }

    // The next event (comments skipped), or nullopt after `timeout_ms` or when the server
    // closed the stream.
    std::optional<sse_event> next(int timeout_ms = 10'000) {
        const auto end = deadline(timeout_ms);
        while (true) {
            const std::size_t blank = buf_.find("\n\n");
            if (blank != std::string::npos) {
                const std::string block = buf_.substr(0, blank);
                buf_.erase(0, blank + 2);
                sse_event e;
                std::size_t start = 0;
                while (start <= block.size()) {
                    std::size_t nl = block.find('\n', start);
                    if (nl == std::string::npos) nl = block.size();
                    const std::string line = block.substr(start, nl - start);
                    if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
                    if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
                    if (line.rfind("data: ", 0) == 0) e.data = line.substr(6);
                    start = nl + 1;
                }
                if (e.name.empty() && e.data.empty()) continue;  // a comment (keep-alive)
                return e;
            }
            if (!fill(end)) return std::nullopt;
        }
    }

    // Events until one satisfies `last` (included), at most `max` events.
    std::vector<sse_event> until(const std::function<bool(const sse_event&)>& last,
                                 std::size_t max = 1000) {
        std::vector<sse_event> out;
        while (out.size() < max) {
            auto e = next();
            if (!e) break;
            out.push_back(*e);
            if (last(*e)) break;
        }
        return out;
    }

    int status = 0;

 private:
    static std::chrono::steady_clock::time_point deadline(int ms) {
        return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    }
    bool fill(std::chrono::steady_clock::time_point end) {
        if (fd_ < 0) return false;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              end - std::chrono::steady_clock::now())
                              .count();
        if (left <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        char chunk[16384];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string head_;
    std::string buf_;
};

std::string threshold_sku_body(int stock, int threshold) {
    nlohmann::json j = nlohmann::json::parse(sku_body(stock));
    j["low_stock_threshold"] = threshold;
    return j.dump();
}

class events_test : public gateway_test {
 protected:
    void start_with(std::vector<std::string> extra, unsigned threads = 2) {
        gateway_options opts;
        opts.data_dir = dir_.path();
        opts.threads = threads;
        opts.extra_args = std::move(extra);
        gw_ = std::make_unique<gateway_process>(opts);
        gw_->start();
    }
    // Places an order for one unit per line and returns its id.
    std::string order(http_client& c, const std::string& sku, int qty = 1) {
        const int n = ++seq_;
        const http_reply r = place(c, "k-" + std::to_string(n),
                                   order_body("buyer-" + std::to_string(n), {{sku, qty}}));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json().value("order_id", "");
    }
    void cancel(http_client& c, const std::string& id) {
        const http_reply r = c.request("POST", "/v1/orders/" + id + "/cancel");
        EXPECT_EQ(r.status, 200) << r.body;
    }
    static std::function<bool(const sse_event&)> order_is(const std::string& id,
                                                          const std::string& status) {
        return [id, status](const sse_event& e) {
            const auto j = e.json();
            return e.name == "order" && j.value("order_id", "") == id &&
                   j.value("status", "") == status;
        };
    }
    static std::vector<sse_event> orders_only(const std::vector<sse_event>& all) {
        std::vector<sse_event> out;
        for (const auto& e : all) {
            if (e.name == "order") out.push_back(e);
        }
        return out;
    }

    int seq_ = 0;
};

TEST_F(events_test, PlacementAndCancelArriveInOrderWithIncreasingIds) {
    start(2);
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(100)).status, 201);
    sse_reader sse(gw_->port(), admin);
    ASSERT_EQ(sse.status, 200);
    EXPECT_TRUE(sse.head_has("Content-Type: text/event-stream"));
    EXPECT_TRUE(sse.head_has("Cache-Control: no-store"));
    const std::string a = order(c, "tee", 2);
    const std::string b = order(c, "tee");
    cancel(c, a);
    const auto events = sse.until(order_is(a, "cancelled"), 10);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].json()["order_id"], a);
    EXPECT_EQ(events[0].json()["status"], "pending_payment");
    EXPECT_EQ(events[0].json()["buyer_id"], "buyer-1");
    EXPECT_EQ(events[0].json()["items"], nlohmann::json::parse(R"([{"sku_id":"tee","qty":2}])"));
    EXPECT_EQ(events[0].json()["total"]["amount_minor"], 2 * 1999);
    EXPECT_EQ(events[1].json()["order_id"], b);
    EXPECT_EQ(events[2].json()["status"], "cancelled");
    EXPECT_TRUE(events[2].json().contains("at"));
    std::uint64_t last = 0;
    for (const auto& e : events) {
        ASSERT_FALSE(e.id.empty());
        const std::uint64_t id = std::stoull(e.id);
        EXPECT_GT(id, last);
        last = id;
    }
    EXPECT_NE(c.get("/metrics").body.find("flashgate_events_subscribers 1"), std::string::npos);
}

TEST_F(events_test, StockEventsFireOnceEachAroundTheThreshold) {
    start(2);
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "cap", threshold_sku_body(10, 4)).status, 201);
    ASSERT_EQ(put_sku(c, "marker", sku_body(100)).status, 201);
    sse_reader sse(gw_->port(), admin);
    ASSERT_EQ(sse.status, 200);
    order(c, "cap", 4);                        // 10 -> 6
    const std::string b = order(c, "cap", 2);  // 6 -> 4: low_stock
    const std::string d = order(c, "cap", 1);  // 4 -> 3
    cancel(c, d);                              // 3 -> 4: still low, nothing
    cancel(c, b);                              // 4 -> 6: above 4 + 1, re-armed silently
    ASSERT_EQ(c.request("POST", "/v1/skus/cap/stock", R"({"delta": -2})", admin).status, 200);
    // 6 -> 4: low_stock again
    const std::string e = order(c, "cap", 4);  // 4 -> 0: sold_out
    cancel(c, e);                              // 0 -> 4: restocked
    const std::string end = order(c, "marker");
    const auto events = sse.until(order_is(end, "pending_payment"));
    std::vector<std::pair<std::string, int>> stock;
    for (const auto& ev : events) {
        if (ev.name == "order") continue;
        EXPECT_TRUE(ev.id.empty()) << "stock events carry no id";
        EXPECT_EQ(ev.json()["sku_id"], "cap");
        EXPECT_EQ(ev.json()["threshold"], 4);
        stock.emplace_back(ev.name, ev.json()["available"].get<int>());
    }
    const std::vector<std::pair<std::string, int>> want = {
        {"low_stock", 4}, {"low_stock", 4}, {"sold_out", 0}, {"restocked", 4}};
    EXPECT_EQ(stock, want);
    EXPECT_EQ(orders_only(events).size(), 8u);
}

TEST_F(events_test, ResumeAfterADisconnectGetsExactlyTheMissedEvents) {
    start(2);
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(100)).status, 201);
    sse_reader watcher(gw_->port(), admin);  // stays connected throughout
    std::optional<sse_reader> first(std::in_place, gw_->port(), admin);
    ASSERT_EQ(first->status, 200);
    const std::string a = order(c, "tee");
    const auto seen = first->until(order_is(a, "pending_payment"), 5);
    ASSERT_EQ(seen.size(), 1u);
    first.reset();  // disconnect
    std::vector<std::string> missed_ids;
    for (int i = 0; i < 5; ++i) missed_ids.push_back(order(c, "tee"));
    cancel(c, missed_ids[1]);
    const auto live = watcher.until(order_is(missed_ids[1], "cancelled"));
    ASSERT_EQ(live.size(), 7u);

    sse_reader resumed(gw_->port(), {admin[0], {"Last-Event-ID", seen[0].id}});
    ASSERT_EQ(resumed.status, 200);
    const auto got = resumed.until(order_is(missed_ids[1], "cancelled"), 10);
    ASSERT_EQ(got.size(), 6u);
    for (std::size_t i = 0; i < got.size(); ++i) {
        // The same bytes as the live stream: id, name and data.
        EXPECT_EQ(got[i].id, live[i + 1].id);
        EXPECT_EQ(got[i].data, live[i + 1].data);
    }
    // And then it continues live, with no gap and no duplicate.
    const std::string after = order(c, "tee");
    const auto next = resumed.next();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->json()["order_id"], after);
    EXPECT_GT(std::stoull(next->id), std::stoull(got.back().id));

    // The query parameter works as the header does.
    sse_reader by_query(gw_->port(), admin, "/v1/events?last_event_id=" + live[5].id);
    ASSERT_EQ(by_query.status, 200);
    const auto tail = by_query.until(order_is(after, "pending_payment"), 10);
    ASSERT_EQ(tail.size(), 2u);
    EXPECT_EQ(tail[0].id, live[6].id);
}

TEST_F(events_test, ResumeAcrossAKillAndRestartReadsTheLog) {
    start(2);
    std::vector<std::string> ids;
    std::string first_id;
    {
        http_client c(gw_->port());
        ASSERT_EQ(put_sku(c, "tee", sku_body(100)).status, 201);
        sse_reader sse(gw_->port(), admin);
        for (int i = 0; i < 4; ++i) ids.push_back(order(c, "tee"));
        const auto got = sse.until(order_is(ids.back(), "pending_payment"));
        ASSERT_EQ(got.size(), 4u);
        first_id = got[0].id;
    }
    gw_->kill9();
    restart();
    http_client c(gw_->port());
    const std::string after = order(c, "tee");
    sse_reader resumed(gw_->port(), {admin[0], {"Last-Event-ID", first_id}});
    ASSERT_EQ(resumed.status, 200);
    const auto got = resumed.until(order_is(after, "pending_payment"), 10);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0].json()["order_id"], ids[1]);
    EXPECT_EQ(got[1].json()["order_id"], ids[2]);
    EXPECT_EQ(got[2].json()["order_id"], ids[3]);
    EXPECT_EQ(got[3].json()["order_id"], after);
}

TEST_F(events_test, AnIdOlderThanTheRetainedLogGetsAResetFirst) {
    start_with(
        {"--log-segment-bytes", "65536", "--snapshot-records", "200", "--snapshots-kept", "1"});
    http_client c(gw_->port());
    ASSERT_EQ(put_sku(c, "tee", sku_body(1'000'000)).status, 201);
    const fs::path first_segment = dir_.path() / "log" / "00000000000000000000.seg";
    std::string last;
    for (int i = 0; i < 3000 && fs::exists(first_segment); ++i) {
        last = order(c, "tee");
        if (i % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(fs::exists(first_segment)) << "retention never deleted the first segment";
    sse_reader sse(gw_->port(), {admin[0], {"Last-Event-ID", "0"}});
    ASSERT_EQ(sse.status, 200);
    const auto reset = sse.next();
    ASSERT_TRUE(reset.has_value());
    EXPECT_EQ(reset->name, "reset");
    EXPECT_EQ(reset->json()["reason"], "log_truncated");
    const std::uint64_t oldest = reset->json()["oldest_id"].get<std::uint64_t>();
    EXPECT_GT(oldest, 0u);
    const auto rest = sse.until(order_is(last, "pending_payment"), 4000);
    ASSERT_FALSE(rest.empty());
    EXPECT_EQ(rest.back().json()["order_id"], last);
    EXPECT_GE(std::stoull(rest.front().id), oldest);
}

TEST_F(events_test, RefusesWithoutTheAdminTokenAndBeyondTheSubscriberCap) {
    start(2);
    sse_reader anonymous(gw_->port(), {});
    EXPECT_EQ(anonymous.status, 401);
    sse_reader storefront(gw_->port(), {{"Authorization", "Bearer wrong"}});
    EXPECT_EQ(storefront.status, 401);
    sse_reader bad_id(gw_->port(), {admin[0], {"Last-Event-ID", "abc"}});
    EXPECT_EQ(bad_id.status, 400);

    std::vector<std::unique_ptr<sse_reader>> subs;
    for (int i = 0; i < 64; ++i) {
        subs.push_back(std::make_unique<sse_reader>(gw_->port(), admin));
        ASSERT_EQ(subs.back()->status, 200) << "subscriber " << i;
    }
    sse_reader over(gw_->port(), admin);
    EXPECT_EQ(over.status, 503);
    // One leaves: its slot frees (bounded wait for the server to notice the close).
    subs.pop_back();
    int status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
        sse_reader again(gw_->port(), admin);
        status = again.status;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace fg::testing
