// Costs of the log: checksum, framing, and append-to-durable with group commit on real files.
// The log directory is a fresh mkdtemp under $FG_BENCH_DIR (default /tmp): point it at the disk
// you mean to measure, since a tmpfs /tmp makes fdatasync free.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "storage/commit_log.hpp"
#include "storage/crc32c.hpp"
#include "storage/record_frame.hpp"

namespace fg::storage {
namespace {

std::vector<std::byte> filled(std::size_t n) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>(i * 131 + 7);
    return v;
}

void BM_storage_crc32c(benchmark::State& state) {
    const auto data = filled(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(crc32c(data));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_storage_crc32c)->RangeMultiplier(4)->Range(64, 64 << 10);

void BM_storage_crc32c_software(benchmark::State& state) {
    const auto data = filled(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(crc32c_extend_sw(0, data));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_storage_crc32c_software)->Arg(64)->Arg(4096);

void BM_storage_frame_encode(benchmark::State& state) {
    const auto payload = filled(static_cast<std::size_t>(state.range(0)));
    std::vector<std::byte> frame(frame_bytes(payload.size()));
    std::uint64_t lsn = 0;
    for (auto _ : state) {
        lsn += frame.size();
        benchmark::DoNotOptimize(encode_frame(frame, lsn, 1, payload));
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(BM_storage_frame_encode)->Arg(64)->Arg(256)->Arg(4096);

// What replay does per record: check length and CRC, hand out the payload.
void BM_storage_frame_decode(benchmark::State& state) {
    const auto payload = filled(static_cast<std::size_t>(state.range(0)));
    std::vector<std::byte> frame(frame_bytes(payload.size()));
    encode_frame(frame, 8, 1, payload);
    for (auto _ : state) {
        frame_view v = decode_frame(frame, 0);
        benchmark::DoNotOptimize(v);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame.size()));
}
BENCHMARK(BM_storage_frame_decode)->Arg(64)->Arg(256)->Arg(4096);

// Owns a mkdtemp directory, removed at the end.
class bench_dir {
 public:
    bench_dir() {
        const char* base = std::getenv("FG_BENCH_DIR");
        std::string tmpl =
            std::string(base != nullptr ? base : "/tmp") + "/fg_bench_storage.XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
        path_ = tmpl;
    }
    bench_dir(const bench_dir&) = delete;
    bench_dir& operator=(const bench_dir&) = delete;
    ~bench_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

 private:
    std::filesystem::path path_;
};

// 256-byte records appended from this thread into a started log; every 256 records it waits
// until they are durable, so one iteration = one record and the sync cost is amortised the way
// a loaded gateway amortises it (several batches per wait as the writer keeps up).
void BM_storage_log_append_group_commit(benchmark::State& state) {
    bench_dir dir;
    std::string error;
    auto log = commit_log::open({.dir = dir.path()}, nullptr, error);
    if (!log) {
        state.SkipWithError(error.c_str());
        return;
    }
    std::mutex mutex;
    std::condition_variable cv;
    log->set_on_durable([&] {
        std::lock_guard lock(mutex);
        cv.notify_all();
    });
    log->start();
    const auto payload = filled(256);
    std::uint64_t last_end = 0;
    std::int64_t full = 0;
    std::int64_t n = 0;
    for (auto _ : state) {
        append_result r = log->append(1, payload);
        while (r.status == append_status::full) {
            ++full;
            r = log->append(1, payload);
        }
        if (r.status == append_status::failed) {
            state.SkipWithError("log failed");
            break;
        }
        last_end = r.end_pos;
        if (++n % 256 == 0) {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return log->durable_pos() >= last_end || log->failed(); });
        }
    }
    {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return log->durable_pos() >= last_end || log->failed(); });
    }
    const auto s = log->stats();
    log->stop();
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(frame_bytes(256)));
    state.counters["records_per_batch"] =
        s.batches ? static_cast<double>(s.records) / static_cast<double>(s.batches) : 0.0;
    state.counters["fsync_us_mean"] =
        s.batches ? static_cast<double>(s.fsync_ns_total) / 1e3 / static_cast<double>(s.batches)
                  : 0.0;
    state.counters["ring_full"] = static_cast<double>(full);
}
BENCHMARK(BM_storage_log_append_group_commit)->UseRealTime();

}  // namespace
}  // namespace fg::storage

BENCHMARK_MAIN();
