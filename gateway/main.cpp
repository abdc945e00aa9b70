// flashgate: start-up, recovery, and shutdown. Everything after start-up runs on the workers
// (gateway/server.hpp) and the log's writer thread (storage/commit_log.hpp).

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "gateway/config.hpp"
#include "gateway/event_feed.hpp"
#include "gateway/log_journal.hpp"
#include "gateway/server.hpp"
#include "gateway/snapshotter.hpp"
#include "matching/clock.hpp"
#include "matching/engine.hpp"
#include "storage/commit_log.hpp"
#include "storage/kept_mappings.hpp"
#include "storage/snapshot.hpp"

namespace {

using namespace fg;

void log_event(std::string_view event, std::string_view detail = {}) {
    // JSON lines on stderr for machines; the human lines go to stdout.
    std::string line = R"({"event":")" + std::string(event) + '"';
    if (!detail.empty()) {
        line += R"(,"detail":")";
        for (char c : detail) {
            if (c == '"' || c == '\\') line += '\\';
            if (static_cast<unsigned char>(c) >= 0x20) line += c;
        }
        line += '"';
    }
    line += "}\n";
    std::fputs(line.c_str(), stderr);
}

std::string random_token() {
    std::random_device rd;
    static constexpr char hex[] = "0123456789abcdef";
    std::string token;
    for (int i = 0; i < 32; ++i) token += hex[rd() & 0xf];
    return token;
}

void seed_demo(gateway::server& srv) {
    srv.engine().post(0, [&srv] {
        matching::shard& sh = srv.at(0).shard;
        sh.get_sku("demo-tee", [&sh](matching::sku_result found) {
            if (found.result == matching::outcome::ok) return;
            matching::sku_spec spec;
            spec.name = "flashgate demo tee";
            spec.price = matching::money{9900, *matching::currency_code::parse("CNY")};
            spec.stock = 100;
            spec.per_buyer_limit = 2;
            sh.put_sku("demo-tee", std::move(spec), [](matching::sku_result r) {
                if (r.result != matching::outcome::ok) log_event("demo_seed_failed");
            });
        });
    });
}

void print_demo(const gateway::config& cfg, std::uint16_t port) {
    const std::string base = "http://" + cfg.host + ":" + std::to_string(port);
    std::printf(
        "\nflashgate demo is up.\n"
        "  readiness  %s/readyz\n"
        "  metrics    %s/metrics\n"
        "  demo SKU   %s/v1/skus/demo-tee\n"
        "  admin token (merchant routes): %s\n\n"
        "Place a first order:\n"
        "  curl -s -X POST %s/v1/orders -H 'Content-Type: application/json' \\\n"
        "    -H \"Idempotency-Key: $(date +%%s%%N)\" \\\n"
        "    -d '{\"buyer_id\":\"buyer-1\",\"items\":[{\"sku_id\":\"demo-tee\",\"qty\":1}],"
        "\"payment_method\":\"alipay\",\"contact\":{\"name\":\"Li Lei\",\"phone\":\"13800000000\","
        "\"address\":\"1 Demo Road, Hangzhou\"}}'\n\n",
        base.c_str(), base.c_str(), base.c_str(), cfg.admin_token.c_str(), base.c_str());
    std::fflush(stdout);
}

// Loads the newest snapshot that checks into `engine`. An invalid one (torn by a crash before
// its rename could not be, but a disk can garble it) is skipped for the one before it, whose
// log suffix retention kept. False only when a valid snapshot holds a record the engine
// refuses: its state is then partial and start-up must stop. First sizes the engine's tables
// for the newest snapshot and `log_bytes` of log.
bool load_newest_snapshot(const std::filesystem::path& dir, std::uint64_t log_bytes,
                          matching::engine& engine, storage::kept_mappings& keep,
                          std::optional<storage::snapshot_file>& base, std::string& error) {
    std::vector<storage::snapshot_file> found;
    if (!storage::list_snapshots(dir, found, error)) return false;
    std::error_code ec;
    const std::uintmax_t newest = found.empty() ? 0 : std::filesystem::file_size(found[0].path, ec);
    engine.expect_replay_bytes(log_bytes + (ec ? 0 : newest));
    for (const storage::snapshot_file& f : found) {
        std::uint64_t pos = 0;
        std::uint64_t records = 0;
        std::string why;
        switch (storage::load_snapshot(
            f.path,
            [&](std::uint16_t type, std::uint64_t, std::span<const std::byte> payload) {
                return engine.replay(type, payload, why);
            },
            pos, records, why, &keep)) {
            case storage::snapshot_load::ok:
                // Records still buffered for the replay threads are this snapshot's.
                if (!engine.flush_replay(why)) {
                    error = "snapshot " + f.path.filename().string() + ": " + why;
                    return false;
                }
                base = storage::snapshot_file{f.path, pos};
                std::printf("flashgate: loaded snapshot %s (log position %llu, %llu records)\n",
                            f.path.filename().c_str(), static_cast<unsigned long long>(pos),
                            static_cast<unsigned long long>(records));
                return true;
            case storage::snapshot_load::invalid:
                std::printf("flashgate: skipped invalid snapshot: %s\n", why.c_str());
                log_event("snapshot_invalid", why);
                continue;
            case storage::snapshot_load::refused:
                error = why;
                return false;
        }
    }
    return true;
}

// Waits up to `ms` for SIGINT/SIGTERM; true if one came.
bool wait_for_signal(const sigset_t& set, std::chrono::milliseconds ms) {
    const auto end = std::chrono::steady_clock::now() + ms;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        const timespec t{static_cast<time_t>(left.count() / 1'000'000'000),
                         static_cast<long>(left.count() % 1'000'000'000)};
        if (sigtimedwait(&set, nullptr, &t) > 0) return true;  // else timeout or EINTR
    }
}

// Blocks until SIGINT/SIGTERM (exit 0), or until the log fails (fail-stop, exit 3). After a
// failure the listener keeps answering for `grace_ms` (503 log_failed on writes and /readyz),
// so that clients and probes see a refusal rather than a refused connection; a signal ends the
// grace early. A full disk is not a failure: its start and end are logged, and intake resumes
// by itself.
int wait_for_stop(const storage::commit_log& log, std::uint32_t grace_ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    bool disk_full = false;
    while (true) {
        if (wait_for_signal(set, std::chrono::milliseconds(100))) return 0;
        if (log.failed()) {
            log_event("log_failed", log.failure_message() + "; intake stopped, exiting 3");
            std::printf("flashgate: log failed (%s); exiting with code 3 in %u ms\n",
                        log.failure_message().c_str(), grace_ms);
            std::fflush(stdout);
            wait_for_signal(set, std::chrono::milliseconds(grace_ms));
            return 3;
        }
        if (log.no_space() != disk_full) {
            disk_full = !disk_full;
            log_event(disk_full ? "log_disk_full" : "log_disk_space_back",
                      disk_full ? "the log's disk is full (ENOSPC); writes get 503 disk_full "
                                  "while the log retries"
                                : "the log writes again; intake resumed");
        }
    }
}

int run(gateway::config& cfg) {
    if (cfg.admin_token.empty()) {
        cfg.admin_token = random_token();
        if (!cfg.demo) std::printf("flashgate: admin token %s\n", cfg.admin_token.c_str());
    }
    std::error_code ec;
    std::filesystem::create_directories(cfg.data_dir / "log", ec);
    if (ec) {
        std::fprintf(stderr, "flashgate: cannot create %s: %s\n", cfg.data_dir.c_str(),
                     ec.message().c_str());
        return 1;
    }
    // Workers inherit this mask, so only the main thread ever takes SIGINT/SIGTERM.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    matching::system_clock clock;
    gateway::log_journal journal;
    // In an optional so that it can go before the server at the end (see below).
    std::optional<matching::engine> shards;
    matching::engine& engine =
        shards.emplace(matching::engine_options{.shard_count = cfg.threads,
                                                .hold_ms = cfg.hold_ms,
                                                .key_ttl_ms = cfg.key_ttl_ms,
                                                .risk = cfg.risk,
                                                .replay_threads = cfg.threads},
                       clock, journal);
    gateway::server srv(cfg, engine);
    std::uint16_t port = 0;
    try {
        port = srv.listen();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "flashgate: cannot listen on %s:%u: %s\n", cfg.host.c_str(), cfg.port,
                     e.what());
        return 1;
    }
    std::printf("flashgate: listening on http://%s:%u (%zu threads)\n", cfg.host.c_str(), port,
                cfg.threads);
    std::fflush(stdout);
    srv.start();  // /livez and /readyz answer from here on; domain routes wait for ready

    std::string error;
    const auto recovery_start = std::chrono::steady_clock::now();
    const std::filesystem::path snapshot_dir = cfg.data_dir / "snapshots";
    // The snapshot and log files recovery maps stay mapped while the engine lives: the orders it
    // rebuilds point at their placements there instead of copying them.
    auto kept = std::make_shared<storage::kept_mappings>();
    engine.replay_in_place(kept);
    std::optional<storage::snapshot_file> base;
    if (!load_newest_snapshot(snapshot_dir, storage::segment_bytes_on_disk(cfg.data_dir / "log"),
                              engine, *kept, base, error)) {
        std::fprintf(stderr, "flashgate: recovery failed: %s\n", error.c_str());
        srv.stop();
        return 2;
    }
    storage::log_options opts{.dir = cfg.data_dir / "log",
                              .segment_bytes = cfg.log_segment_bytes,
                              .ring_bytes = cfg.log_ring_bytes,
                              .replay_from = base ? base->log_pos : 0,
                              .keep = kept.get()};
    auto log = storage::commit_log::open(
        opts,
        [&](std::uint16_t type, std::uint64_t, std::span<const std::byte> payload) {
            return engine.replay(type, payload, error);
        },
        error);
    if (!log || !engine.finish_replay(error)) {
        std::fprintf(stderr, "flashgate: recovery failed: %s\n", error.c_str());
        srv.stop();
        return 2;
    }
    const auto& replayed = log->replayed();
    const gateway::recovery_report recovery{
        .records = replayed.records,
        .truncated_bytes = replayed.truncated_bytes,
        .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - recovery_start)
                       .count(),
        .mapped_bytes = kept->bytes()};
    // ---- Live events (GET /v1/events): the feed tails the log from where recovery left it,
    // seeded with the recovered state; the log wakes it after each group commit. Declared
    // after srv so that it stops before the workers' io_contexts go away.
    gateway::event_feed events(
        gateway::event_feed_options{
            .log_dir = opts.dir,
            .report = [](std::string_view event,
                         std::string_view detail) { log_event(event, detail); }},
        *log);
    gateway::seed_from_engine(events, engine);
    if (!events.start(log->durable_pos(), error)) {
        std::fprintf(stderr, "flashgate: event feed: %s\n", error.c_str());
        srv.stop();
        return 2;
    }
    srv.set_events(&events);
    // ---- end of live events
    log->set_on_durable([&srv, &events] {
        srv.ring_all();
        events.notify();
    });
    journal.attach(log.get());
    log->start();
    std::unique_ptr<gateway::snapshotter> snapshots;
    if (cfg.snapshot_records > 0) {
        snapshots = std::make_unique<gateway::snapshotter>(
            gateway::snapshotter_options{.log_dir = opts.dir,
                                         .snapshot_dir = snapshot_dir,
                                         .shard_count = cfg.threads,
                                         .every_records = cfg.snapshot_records,
                                         .keep = cfg.snapshots_kept},
            *log, base,
            [](std::string_view event, std::string_view detail) { log_event(event, detail); });
        snapshots->start();
        srv.set_snapshots(snapshots.get());
    }
    srv.set_ready(log.get(), recovery);
    std::printf("flashgate: ready (replayed %llu records, cut %llu torn bytes)\n",
                static_cast<unsigned long long>(replayed.records),
                static_cast<unsigned long long>(replayed.truncated_bytes));
    std::fflush(stdout);
    log_event("ready");
    if (cfg.demo) {
        seed_demo(srv);
        print_demo(cfg, port);
    }
    const int code = wait_for_stop(*log, cfg.fail_stop_grace_ms);
    srv.stop();
    if (snapshots) snapshots->stop();
    log->stop();
    // The shards go before the server: replies they still hold (a write that was waiting for a
    // full disk when the stop came) own sessions, whose destructors unregister from a worker.
    shards.reset();
    log_event("stopped");
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    gateway::config cfg;
    std::string message;
    switch (gateway::parse_config(
        argc, argv, [](const char* n) { return std::getenv(n); }, cfg, message)) {
        case gateway::config_action::help:
            std::fputs(gateway::usage_text().data(), stdout);
            return 0;
        case gateway::config_action::version:
            std::printf("flashgate %s\n", FG_VERSION);
            return 0;
        case gateway::config_action::error:
            std::fprintf(stderr, "flashgate: %s\n", message.c_str());
            return 2;
        case gateway::config_action::run:
            break;
    }
    return run(cfg);
}
