#pragma once

// Thread-per-core HTTP server: one worker per shard, each with its own io_context, its own
// SO_REUSEPORT listener on the same port (the kernel spreads connections), and its shard of the
// engine. No lock anywhere on the request path (A1 in ARCHITECTURE.md).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "gateway/codec/request_decoder.hpp"
#include "gateway/config.hpp"
#include "gateway/doorbell.hpp"
#include "gateway/metrics.hpp"
#include "gateway/snapshotter.hpp"
#include "matching/engine.hpp"
#include "storage/commit_log.hpp"

namespace fg::gateway {

class server;
class session;
class event_feed;

// Shard-local: everything here is touched only by this worker's thread, except `ioc.stop()`
// and `bell.ring()`, which are thread-safe.
struct worker {
    worker(server& srv, std::size_t index);

    server& owner;
    const std::size_t index;
    // Declared before ioc so they outlive it: destroying ioc destroys the handlers still
    // queued, and the last one holding a session runs ~session, which updates these two.
    std::size_t connections = 0;
    std::list<session*> sessions;  // open connections, for the timeout sweep
    boost::asio::io_context ioc{1};
    doorbell bell{ioc};
    matching::shard& shard;
    request_decoder decoder;
    route_metrics http;
    std::size_t connections_max = 0;
    std::uint64_t request_seq = 0;
    std::optional<boost::asio::ip::tcp::acceptor> acceptor;
    boost::asio::steady_timer sweep{ioc};
    boost::asio::steady_timer ticker{ioc};  // drives shard.tick(): hold expiry, key retention
    std::thread thread;
};

class server {
 public:
    server(const config& cfg, matching::engine& eng);
    ~server();

    // Binds every worker's listener; returns the port (resolved when config.port is 0).
    // Throws std::system_error when the address cannot be bound.
    std::uint16_t listen();
    void start();
    void stop();

    // Called once recovery has finished: domain routes answer 503 not_ready before.
    void set_ready(storage::commit_log* log, const recovery_report& recovery);
    bool ready() const { return ready_.load(std::memory_order_acquire); }
    storage::commit_log* log() const { return log_; }
    // Set before set_ready() when snapshots are on; null otherwise.
    void set_snapshots(const snapshotter* s) { snapshots_ = s; }
    const snapshotter* snapshots() const { return snapshots_; }
    // GET /v1/events; set before set_ready() (null: the route answers 503).
    void set_events(event_feed* f) { events_ = f; }
    event_feed* events() const { return events_; }
    const recovery_report& recovery() const { return recovery_; }  // read only once ready()

    // Thread-safe: wakes every worker (the log calls it after each group commit).
    void ring_all();

    const config& settings() const { return cfg_; }
    matching::engine& engine() { return engine_; }
    worker& at(std::size_t i) { return *workers_[i]; }
    std::size_t size() const { return workers_.size(); }

 private:
    void accept(worker& w);
    void sweep(worker& w);
    void tick(worker& w);

    const config& cfg_;
    matching::engine& engine_;
    std::vector<std::unique_ptr<worker>> workers_;
    // Release/acquire: a worker that sees ready == true also sees everything recovery wrote
    // into the shards before set_ready() (A2).
    std::atomic<bool> ready_{false};
    storage::commit_log* log_ = nullptr;      // set before ready_ is released
    const snapshotter* snapshots_ = nullptr;  // likewise
    event_feed* events_ = nullptr;            // likewise
    recovery_report recovery_;                // set before ready_ is released
};

}  // namespace fg::gateway
