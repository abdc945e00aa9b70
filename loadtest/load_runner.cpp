#include "loadtest/load_runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <thread>

namespace fg::loadtest {

namespace {
double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto secs = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return secs(u.ru_utime) + secs(u.ru_stime);
}
}  // namespace

load_output run_load(const client_config& base, unsigned threads) {
    load_output out;
    std::vector<std::unique_ptr<client_thread>> clients;
    for (unsigned t = 0; t < threads; ++t) {
        client_config cfg = base;
        cfg.thread_count = threads;
        cfg.connections = base.connections / threads + (t < base.connections % threads ? 1 : 0);
        clients.push_back(std::make_unique<client_thread>(cfg, t));
        if (!clients.back()->connect_all()) {
            out.error = clients.back()->error();
            return out;
        }
    }
    const double cpu_before = cpu_seconds();
    // A little ahead, so every thread is waiting on its epoll loop when the clock starts.
    const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
    std::vector<std::thread> running;
    for (auto& c : clients) running.emplace_back([&c, start] { c->run(start); });
    for (auto& r : running) r.join();
    const auto end = std::chrono::steady_clock::now();
    out.cpu_s = cpu_seconds() - cpu_before;
    for (auto& c : clients) out.book.merge(std::move(c->result()));
    std::int64_t last_ns = 0;
    for (const attempt& a : out.book.attempts) last_ns = std::max(last_ns, a.done_ns);
    if (last_ns == 0)
        last_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
    out.duration_s = static_cast<double>(last_ns) / 1e9;
    return out;
}

}  // namespace fg::loadtest
