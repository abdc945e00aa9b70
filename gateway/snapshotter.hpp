#pragma once

// Periodic snapshots, so that recovery loads the newest snapshot and replays only the log after
// it, and so that old log segments can be deleted.
//
// A snapshot must be exactly what replaying the log up to some position produces. The live
// shards are never in such a state: they hold reservations whose records are not yet durable.
// So the snapshotter keeps a shadow engine of its own, fed only by records of SEALED log
// segments (whole, synced, never written again), on its own thread. When enough new records
// were folded in, it writes the shadow's state as a snapshot at the position where the next
// segment starts, keeps the newest `snapshots_kept`, and deletes the segments the oldest kept
// snapshot covers. The shadow costs a second copy of the state in memory and a second replay of
// each record on a background thread; the live path is untouched.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "matching/clock.hpp"
#include "matching/engine.hpp"
#include "storage/commit_log.hpp"
#include "storage/snapshot.hpp"

namespace fg::gateway {

struct snapshotter_options {
    std::filesystem::path log_dir;
    std::filesystem::path snapshot_dir;
    std::size_t shard_count = 1;
    std::uint64_t every_records = 1'000'000;  // > 0
    std::size_t keep = 2;                     // >= 1
    std::chrono::milliseconds tick{200};      // how often it looks for newly sealed segments
};

// Relaxed snapshots of the counters, for /metrics.
struct snapshot_counters {
    std::uint64_t written = 0;
    std::uint64_t failures = 0;
    std::uint64_t last_log_pos = 0;
    std::uint64_t last_records = 0;
    std::uint64_t last_bytes = 0;
    std::uint64_t last_write_ms = 0;
    std::uint64_t segments_removed = 0;
    std::uint64_t folded_records = 0;
    bool stopped = false;  // a sealed segment could not be read: no more snapshots this run
};

std::string render_snapshot_metrics(const snapshot_counters& c);

// Owner-thread: start()/stop() from main. stats() from any thread.
class snapshotter {
 public:
    using event_fn = std::function<void(std::string_view event, std::string_view detail)>;

    // `base` is the snapshot recovery loaded (the shadow starts from it), if any.
    snapshotter(snapshotter_options opts, const storage::commit_log& log,
                std::optional<storage::snapshot_file> base, event_fn on_event);
    ~snapshotter();
    snapshotter(const snapshotter&) = delete;
    snapshotter& operator=(const snapshotter&) = delete;

    void start();
    void stop();  // waits for a snapshot being written to finish
    snapshot_counters stats() const;

 private:
    void run();
    bool fold_sealed(std::string& error);
    bool write_snapshot(std::string& error);

    const snapshotter_options opts_;
    const storage::commit_log& log_;
    std::optional<storage::snapshot_file> base_;
    event_fn on_event_;

    // Snapshotter-thread only, after start().
    matching::system_clock clock_;
    matching::replay_only_journal journal_;
    std::unique_ptr<matching::engine> shadow_;
    std::uint64_t folded_pos_ = 0;      // next log position to fold
    std::uint64_t folded_below_ = 0;    // segments below this index are folded
    std::uint64_t since_snapshot_ = 0;  // records folded since the last snapshot

    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_requested_ = false;  // guarded by mu_
    // Also set by stop(), read per record: a long load or fold (a whole history on the first
    // start) ends at the next record instead of holding up shutdown.
    std::atomic<bool> stopping_{false};

    std::atomic<std::uint64_t> written_{0}, failures_{0}, last_log_pos_{0}, last_records_{0},
        last_bytes_{0}, last_write_ms_{0}, segments_removed_{0}, folded_records_{0};
    std::atomic<bool> stopped_{false};
};

}  // namespace fg::gateway
