#include "gateway/snapshotter.hpp"

#include <chrono>
#include <utility>
#include <vector>

namespace fg::gateway {
namespace {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

std::string render_snapshot_metrics(const snapshot_counters& c) {
    std::string out;
    metric(out, "flashgate_snapshots_written_total", "counter", "Snapshots written.", c.written);
    metric(out, "flashgate_snapshot_failures_total", "counter",
           "Snapshots that could not be written (retried later).", c.failures);
    metric(out, "flashgate_snapshot_last_log_position", "gauge",
           "Log position the newest snapshot covers.", c.last_log_pos);
    metric(out, "flashgate_snapshot_last_records", "gauge", "Records in the newest snapshot.",
           c.last_records);
    metric(out, "flashgate_snapshot_last_bytes", "gauge", "Size of the newest snapshot.",
           c.last_bytes);
    metric(out, "flashgate_snapshot_last_write_milliseconds", "gauge",
           "Time the newest snapshot took to write and sync.", c.last_write_ms);
    metric(out, "flashgate_log_segments_removed_total", "counter",
           "Log segments deleted because a kept snapshot covers them.", c.segments_removed);
    metric(out, "flashgate_snapshot_folded_records_total", "counter",
           "Sealed log records applied to the snapshot state.", c.folded_records);
    metric(out, "flashgate_snapshot_stopped", "gauge",
           "1 if snapshots stopped because a sealed segment could not be read.",
           c.stopped ? 1u : 0u);
    return out;
}

snapshotter::snapshotter(snapshotter_options opts, const storage::commit_log& log,
                         std::optional<storage::snapshot_file> base, event_fn on_event)
    : opts_(std::move(opts)), log_(log), base_(std::move(base)), on_event_(std::move(on_event)) {}

snapshotter::~snapshotter() { stop(); }

void snapshotter::start() {
    thread_ = std::thread([this] { run(); });
}

void snapshotter::stop() {
    stopping_.store(true, std::memory_order_relaxed);
    {
        std::lock_guard lock(mu_);
        stop_requested_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

snapshot_counters snapshotter::stats() const {
    constexpr auto r = std::memory_order_relaxed;
    return {written_.load(r),          failures_.load(r),       last_log_pos_.load(r),
            last_records_.load(r),     last_bytes_.load(r),     last_write_ms_.load(r),
            segments_removed_.load(r), folded_records_.load(r), stopped_.load(r)};
}

void snapshotter::run() {
    shadow_ = std::make_unique<matching::engine>(
        matching::engine_options{.shard_count = opts_.shard_count}, clock_, journal_);
    std::string error;
    if (base_) {
        std::uint64_t records = 0;
        if (storage::load_snapshot(
                base_->path,
                [&](std::uint16_t type, std::uint64_t, std::span<const std::byte> payload) {
                    return !stopping_.load(std::memory_order_relaxed) &&
                           shadow_->replay(type, payload, error);
                },
                folded_pos_, records, error) != storage::snapshot_load::ok) {
            if (stopping_.load(std::memory_order_relaxed)) return;
            stopped_.store(true, std::memory_order_relaxed);
            on_event_("snapshots_stopped", error);
            return;
        }
    }
    auto backoff = opts_.tick;
    while (true) {
        {
            std::unique_lock lock(mu_);
            if (cv_.wait_for(lock, backoff, [this] { return stop_requested_; })) return;
        }
        backoff = opts_.tick;
        error.clear();
        if (!fold_sealed(error)) {
            if (stopping_.load(std::memory_order_relaxed)) return;
            // Sealed segments were synced whole; one that does not read back is a disk problem
            // for the operator. Intake goes on; snapshots stop until a restart.
            stopped_.store(true, std::memory_order_relaxed);
            on_event_("snapshots_stopped", error);
            return;
        }
        if (since_snapshot_ < opts_.every_records) continue;
        error.clear();
        if (!write_snapshot(error)) {
            failures_.fetch_add(1, std::memory_order_relaxed);
            on_event_("snapshot_failed", error);
            backoff = std::chrono::seconds(5);  // e.g. disk full: try again, not in a loop
        }
    }
}

bool snapshotter::fold_sealed(std::string& error) {
    const std::uint64_t active = log_.active_segment();
    if (active <= folded_below_) return true;
    std::uint64_t folded = 0;
    std::uint64_t next = folded_pos_;
    if (!storage::read_sealed_segments(
            opts_.log_dir, folded_pos_, active,
            [&](std::uint16_t type, std::uint64_t, std::span<const std::byte> payload) {
                ++folded;
                return !stopping_.load(std::memory_order_relaxed) &&
                       shadow_->replay(type, payload, error);
            },
            next, error)) {
        return false;
    }
    folded_pos_ = next;
    folded_below_ = active;
    since_snapshot_ += folded;
    folded_records_.fetch_add(folded, std::memory_order_relaxed);
    return true;
}

bool snapshotter::write_snapshot(std::string& error) {
    const auto t0 = std::chrono::steady_clock::now();
    auto w = storage::snapshot_writer::create(opts_.snapshot_dir, folded_pos_, error);
    if (!w) return false;
    std::string add_error;
    const bool exported = shadow_->export_records(
        [&](matching::record_type type, std::span<const std::byte> payload) {
            return w->add(static_cast<std::uint16_t>(type), payload, add_error);
        });
    if (!exported) {
        error = add_error;
        return false;
    }
    if (!w->commit(error)) return false;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    constexpr auto r = std::memory_order_relaxed;
    written_.fetch_add(1, r);
    last_log_pos_.store(folded_pos_, r);
    last_records_.store(w->records(), r);
    last_bytes_.store(w->bytes(), r);
    last_write_ms_.store(static_cast<std::uint64_t>(ms), r);
    since_snapshot_ = 0;
    on_event_("snapshot_written", w->path().filename().string());

    // Retention: keep the newest `keep`; the log must still reach back to the oldest of them,
    // so that a corrupt newest snapshot can fall back to an older one plus a longer replay.
    std::vector<storage::snapshot_file> kept;
    std::size_t removed = 0;
    if (!storage::prune_snapshots(opts_.snapshot_dir, opts_.keep, error) ||
        !storage::list_snapshots(opts_.snapshot_dir, kept, error) || kept.empty() ||
        !storage::remove_segments_before(opts_.log_dir, kept.back().log_pos, folded_below_, removed,
                                         error)) {
        on_event_("log_retention_failed", error);  // the snapshot is safe; retried next time
    }
    segments_removed_.fetch_add(removed, r);
    return true;
}

}  // namespace fg::gateway
