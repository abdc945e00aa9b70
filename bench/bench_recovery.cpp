// Recovery speed: how fast flashgate comes back after a crash with a long history.
//
// Builds a real log of N orders (default 10M) across a catalogue of SKUs, with the same record
// encoding the gateway writes, then measures in this process:
//   scan      reading and checking every frame (read + CRC32C), no domain work: the floor;
//   replay    commit_log::open() feeding matching::engine::replay(): what start-up does;
//   snapshot  writing the replayed state as a snapshot, and loading it back into a new engine;
// and, given the flashgate binary, the wall time from exec to its ready line, from the log
// alone and from the snapshot plus the (empty) log after it.
//
// usage: fg_bench_recovery [--orders N] [--skus N] [--threads N] [--dir DIR] [--binary PATH]
//        fg_bench_recovery --replay-log DIR/log [--threads N]   (start-up replay alone)
// DIR defaults to a fresh directory under /tmp, removed at the end.

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "matching/clock.hpp"
#include "matching/engine.hpp"
#include "matching/event_codec.hpp"
#include "matching/key_table.hpp"
#include "storage/commit_log.hpp"
#include "storage/kept_mappings.hpp"
#include "storage/snapshot.hpp"

namespace {

using namespace fg;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// CPU seconds (user + system) this process has used: on a shared 2-core box the wall time of a
// phase includes waiting for a core, its CPU time does not.
// One line per phase: records, wall time and rate, and CPU per record.
// CPU time of this process (every thread), split because the kernel's part is mostly page
// faults on fresh memory, which cost far more on some virtual machines than on others.
struct cpu_time {
    double user = 0;
    double kernel = 0;
    cpu_time operator-(const cpu_time& o) const { return {user - o.user, kernel - o.kernel}; }
};

cpu_time cpu_now() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return {s(u.ru_utime), s(u.ru_stime)};
}

void print_phase(const char* name, std::uint64_t records, double wall_s, cpu_time cpu,
                 const char* what) {
    const double n = static_cast<double>(records);
    std::printf("%-9s %" PRIu64
                " records in %.2f s = %.2f M records/s (%s); CPU %.3f us/record (user %.3f + "
                "kernel %.3f)\n",
                name, records, wall_s, n / wall_s / 1e6, what, (cpu.user + cpu.kernel) * 1e6 / n,
                cpu.user * 1e6 / n, cpu.kernel * 1e6 / n);
}

// A line of /proc/self/status ("RssAnon:", "RssFile:"), in bytes; 0 if absent.
std::uint64_t status_bytes(const char* field) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (f == nullptr) return 0;
    char line[256];
    std::uint64_t kib = 0;
    const std::size_t len = std::strlen(field);
    while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::strncmp(line, field, len) == 0) kib = std::strtoull(line + len, nullptr, 10);
    }
    std::fclose(f);
    return kib * 1024;
}

struct args {
    std::uint64_t orders = 10'000'000;
    std::uint64_t skus = 10'000;
    std::size_t threads = 2;
    std::filesystem::path dir;
    std::string binary;
    std::filesystem::path load;        // set: only load this snapshot (the child process)
    std::filesystem::path replay_log;  // set: only replay this log directory
};

std::string sku_name(std::uint64_t i) { return "sku-" + std::to_string(i); }

// Appends every record and waits until the last is durable.
bool generate(const args& a, const std::filesystem::path& log_dir) {
    std::string error;
    auto log = storage::commit_log::open(
        {.dir = log_dir}, [](std::uint16_t, std::uint64_t, auto) { return true; }, error);
    if (!log) {
        std::fprintf(stderr, "open: %s\n", error.c_str());
        return false;
    }
    log->start();
    std::vector<std::byte> buf;
    std::uint64_t last_end = 0;
    auto put = [&](matching::record_type type) {
        while (true) {
            const auto r = log->append(static_cast<std::uint16_t>(type), buf);
            if (r.status == storage::append_status::ok) {
                last_end = r.end_pos;
                return true;
            }
            if (r.status == storage::append_status::failed) return false;
            std::this_thread::yield();  // ring full: the writer is syncing
        }
    };
    const auto currency = *matching::currency_code::parse("CNY");
    for (std::uint64_t i = 0; i < a.skus; ++i) {
        matching::sku_state s;
        s.id = sku_name(i);
        s.name = "Flash sale item " + std::to_string(i);
        s.price = {1999, currency};
        s.stock = 1'000'000'000;
        s.per_buyer_limit = 0;
        encode(s, buf);
        if (!put(matching::record_type::sku_upserted)) return false;
    }
    std::mt19937_64 rng(42);
    matching::order o;
    // A sale that just ended: every order is inside the Idempotency-Key retention, so replay
    // rebuilds its key as a restart right after a sale must.
    const std::int64_t first_ms =
        matching::system_clock().now_ms() - static_cast<std::int64_t>(a.orders);
    o.client = "storefront";
    o.client_ip = "203.0.113.7";
    o.history.assign(1, matching::transition{});
    o.payment_method = "alipay";
    o.buyer_contact = {"Li Lei", "13800000000", "1 Demo Road, Hangzhou"};
    // Ids as a gateway with --threads shards makes them: the key's home shard places the order
    // and numbers it after its own previous one (engine::key_home_of, shard::next_order_id).
    std::vector<std::uint64_t> numbered(a.threads, 0);
    for (std::uint64_t i = 1; i <= a.orders; ++i) {
        o.idempotency_key = "7f9c2ba4-e88f-4a1c-9c3d-" + std::to_string(100000000000 + i);
        const std::uint64_t home = matching::engine::key_home_of(
            matching::key_table::hash(matching::engine::scoped_key(o.client, o.idempotency_key)),
            a.threads);
        o.id = (++numbered[home] << 8) | home;
        o.buyer_id = "buyer-" + std::to_string(rng() % 1'000'000);
        o.items.clear();
        const int lines = rng() % 4 == 0 ? 2 : 1;
        for (int k = 0; k < lines; ++k) {
            o.items.push_back({sku_name((rng() % a.skus + k) % a.skus), 1, {1999, currency}});
        }
        o.total = {1999 * lines, currency};
        o.created_at_ms = first_ms + static_cast<std::int64_t>(i);
        // Holds outlast the run: a binary timed below would otherwise log the expiry of every
        // lapsed hold once ready, and the next start would replay those records too.
        o.hold_expires_at_ms = o.created_at_ms + 24 * 3'600'000;
        o.updated_at_ms = o.created_at_ms;
        encode(o, buf);
        if (!put(matching::record_type::order_placed)) return false;
        if (i % 10 == 0) {  // one order in ten is cancelled later
            encode(matching::order_cancelled{.order_id = o.id, .at_ms = o.created_at_ms + 1}, buf);
            if (!put(matching::record_type::order_cancelled)) return false;
        }
    }
    while (log->durable_pos() < last_end && !log->failed()) std::this_thread::yield();
    log->stop();
    return !log->failed();
}

// exec's the binary on `data_dir` and returns seconds until it prints its ready line.
double time_to_ready(const std::string& binary, const std::filesystem::path& data_dir,
                     std::size_t threads) {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    const auto t0 = clock_type::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        const std::string t = std::to_string(threads);
        const std::string d = data_dir.string();
        ::execl(binary.c_str(), binary.c_str(), "--port", "0", "--threads", t.c_str(), "--data-dir",
                d.c_str(), "--snapshot-records", "0", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    double ready = -1;
    while (true) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.find("flashgate: ready") != std::string::npos) {
            ready = seconds_since(t0);
            break;
        }
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    ::close(fds[0]);
    if (ready < 0) std::fprintf(stderr, "binary never got ready:\n%s\n", out.c_str());
    return ready;
}

// An engine as start-up builds it, with the clock and journal it refers to.
struct rebuilt {
    matching::system_clock clock;
    matching::replay_only_journal journal;
    matching::engine engine;
    explicit rebuilt(std::size_t threads)
        : engine({.shard_count = threads, .replay_threads = threads}, clock, journal) {}
};

// Feeds every record to `replay` and returns how many it fed, or nothing (with `error`). The
// files it maps go to `keep`, so that the engine can point into them, as start-up does.
struct record_source {
    std::uint64_t bytes = 0;  // of the files it reads: start-up sizes the tables from them
    std::function<std::optional<std::uint64_t>(const storage::replay_fn& replay,
                                               storage::kept_mappings& keep, std::string&)>
        feed;
};

// Rebuilds `r.engine` from `source` as start-up does, timed, and prints the phase's line.
bool rebuild(rebuilt& r, const char* name, const char* what, const record_source& source) {
    std::string error;
    const auto t0 = clock_type::now();
    const cpu_time c0 = cpu_now();
    auto kept = std::make_shared<storage::kept_mappings>();
    r.engine.replay_in_place(kept);
    r.engine.expect_replay_bytes(source.bytes);
    const std::optional<std::uint64_t> records = source.feed(
        [&](std::uint16_t type, std::uint64_t, std::span<const std::byte> payload) {
            return r.engine.replay(type, payload, error);
        },
        *kept, error);
    if (!records || !r.engine.finish_replay(error)) {
        std::fprintf(stderr, "%s %s\n", name, error.c_str());
        return false;
    }
    print_phase(name, *records, seconds_since(t0), cpu_now() - c0, what);
    // What the rebuilt state holds: the process's own memory per order, beside the mapped
    // files the orders point into (page cache, which the kernel may drop and read again).
    std::uint64_t orders = 0;
    for (std::size_t s = 0; s < r.engine.shard_count(); ++s) orders += r.engine.at(s).live_orders();
    const std::uint64_t anon = status_bytes("RssAnon:");
    std::printf("%-9s %.0f MiB of process memory, %.0f bytes per order (%" PRIu64
                " orders); %.0f MiB of mapped files\n",
                "memory:", static_cast<double>(anon) / (1 << 20),
                orders == 0 ? 0.0 : static_cast<double>(anon) / static_cast<double>(orders), orders,
                static_cast<double>(status_bytes("RssFile:")) / (1 << 20));
    return true;
}

// Every record of the log in `log_dir`, as commit_log::open replays them.
record_source from_log(const std::filesystem::path& log_dir) {
    return {storage::segment_bytes_on_disk(log_dir),
            [log_dir](const storage::replay_fn& replay, storage::kept_mappings& keep,
                      std::string& error) -> std::optional<std::uint64_t> {
                std::uint64_t n = 0;
                auto log = storage::commit_log::open(
                    {.dir = log_dir, .keep = &keep},
                    [&](std::uint16_t type, std::uint64_t lsn, std::span<const std::byte> payload) {
                        ++n;
                        return replay(type, lsn, payload);
                    },
                    error);
                if (!log) return std::nullopt;
                return n;
            }};
}

// Every record of one snapshot file.
record_source from_snapshot(const std::filesystem::path& path) {
    return {std::filesystem::file_size(path),
            [path](const storage::replay_fn& replay, storage::kept_mappings& keep,
                   std::string& error) -> std::optional<std::uint64_t> {
                std::uint64_t pos = 0, records = 0;
                if (storage::load_snapshot(path, replay, pos, records, error, &keep) !=
                    storage::snapshot_load::ok) {
                    return std::nullopt;
                }
                return records;
            }};
}

}  // namespace

int main(int argc, char** argv) {
    args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--orders")
            a.orders = std::strtoull(v, nullptr, 10);
        else if (k == "--skus")
            a.skus = std::strtoull(v, nullptr, 10);
        else if (k == "--threads")
            a.threads = std::strtoull(v, nullptr, 10);
        else if (k == "--dir")
            a.dir = v;
        else if (k == "--binary")
            a.binary = v;
        else if (k == "--load")
            a.load = v;
        else if (k == "--replay-log")
            a.replay_log = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 64;
        }
    }
    // --load PATH / --replay-log DIR: one rebuild in this (fresh) process, then exit.
    if (!a.load.empty()) {
        rebuilt r(a.threads);
        return rebuild(r, "load:", "check + engine, fresh process", from_snapshot(a.load)) ? 0 : 1;
    }
    if (!a.replay_log.empty()) {
        rebuilt r(a.threads);
        return rebuild(r, "replay:", "open + engine, fresh process", from_log(a.replay_log)) ? 0
                                                                                             : 1;
    }
    bool own_dir = false;
    if (a.dir.empty()) {
        char tmpl[] = "/tmp/fg_bench_recovery.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) return 1;
        a.dir = tmpl;
        own_dir = true;
    }
    const auto log_dir = a.dir / "log";
    const auto snap_dir = a.dir / "snapshots";
    std::filesystem::remove_all(log_dir);
    std::filesystem::remove_all(snap_dir);

    auto t0 = clock_type::now();
    if (!generate(a, log_dir)) return 1;
    const double gen_s = seconds_since(t0);
    std::uint64_t log_bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(log_dir)) log_bytes += e.file_size();
    std::printf("log: %" PRIu64 " orders, %" PRIu64
                " SKUs, %.1f MiB of segments, written in %.1f s\n",
                a.orders, a.skus, static_cast<double>(log_bytes) / (1 << 20), gen_s);

    std::string error;
    // scan: the storage floor, no domain work.
    t0 = clock_type::now();
    cpu_time c0 = cpu_now();
    std::uint64_t scanned = 0;
    {
        auto log = storage::commit_log::open(
            {.dir = log_dir},
            [&](std::uint16_t, std::uint64_t, std::span<const std::byte>) {
                ++scanned;
                return true;
            },
            error);
        if (!log) return 1;
    }
    print_phase("scan:", scanned, seconds_since(t0), cpu_now() - c0, "read + CRC only");

    // replay: what start-up does.
    auto replayed = std::make_unique<rebuilt>(a.threads);
    if (!rebuild(*replayed, "replay:", "open + engine", from_log(log_dir))) return 1;
    const matching::engine* engine = &replayed->engine;

    // snapshot: write the replayed state, load it into a fresh engine.
    std::uint64_t end_pos = 0;
    {
        auto log = storage::commit_log::open(
            {.dir = log_dir}, [](std::uint16_t, std::uint64_t, auto) { return true; }, error);
        if (!log) return 1;
        end_pos = log->durable_pos();
    }
    t0 = clock_type::now();
    auto w = storage::snapshot_writer::create(snap_dir, end_pos, error);
    if (!w || !engine->export_records([&](matching::record_type t, std::span<const std::byte> p) {
            return w->add(static_cast<std::uint16_t>(t), p, error);
        }) ||
        !w->commit(error)) {
        std::fprintf(stderr, "snapshot: %s\n", error.c_str());
        return 1;
    }
    const double write_s = seconds_since(t0);
    std::printf("snapshot: %" PRIu64 " records, %.1f MiB, written and synced in %.2f s\n",
                w->records(), static_cast<double>(w->bytes()) / (1 << 20), write_s);
    replayed.reset();
    // The load runs in a fresh process, as it does at start-up: here the heap would be full of
    // the freed replay state, and allocating from its holes is not what a restart sees.
    std::fflush(stdout);
    const pid_t child = ::fork();
    if (child == 0) {
        const std::string t = std::to_string(a.threads);
        const std::string p = w->path().string();
        ::execl("/proc/self/exe", "fg_bench_recovery", "--load", p.c_str(), "--threads", t.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;

    if (!a.binary.empty()) {
        // From the log alone: hide the snapshot.
        const auto hidden = a.dir / "snapshots.hidden";
        std::filesystem::rename(snap_dir, hidden);
        const double log_ready = time_to_ready(a.binary, a.dir, a.threads);
        std::filesystem::rename(hidden, snap_dir);
        const double snap_ready = time_to_ready(a.binary, a.dir, a.threads);
        std::printf("binary:   time to ready %.2f s from the log alone, %.2f s from the snapshot\n",
                    log_ready, snap_ready);
        if (log_ready < 0 || snap_ready < 0) return 1;
    }
    if (own_dir) std::filesystem::remove_all(a.dir);
    return 0;
}
