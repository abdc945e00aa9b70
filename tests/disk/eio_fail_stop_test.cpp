// A failing fdatasync, on the real binary: the gateway runs with an LD_PRELOAD shim
// (fault_shim.c) that makes fdatasync/fsync fail with EIO once a trigger file exists. The test
// creates it while orders are in flight. Expected (storage/README.md S6, ARCHITECTURE.md G6):
// nothing whose record was appended after the fault is acknowledged, /readyz and writes answer
// 503 log_failed, the process exits 3 by itself after its grace, and a restart without the
// shim brings back every acknowledged order with exact stock.

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "disk_support.hpp"

namespace fg::testing {
namespace {

constexpr std::int64_t stock = 1'000'000;
constexpr int grace_ms = 3000;

TEST(EioFailStop, NoAckAfterTheFaultReadyz503ExitThreeAndRestartKeepsEveryAck) {
    temp_dir dir;
    const std::filesystem::path trigger = dir.path() / "eio-trigger";
    gateway_options opts;
    opts.data_dir = dir.path() / "data";
    opts.threads = 2;
    opts.extra_args = {"--log-segment-bytes", "262144", "--fail-stop-grace-ms",
                       std::to_string(grace_ms)};
    const char* asan = std::getenv("ASAN_OPTIONS");
    opts.env = {
        {"LD_PRELOAD", FG_FAULT_SHIM},
        {"FG_FAULT_EIO_FILE", trigger.string()},
        // The shim is not built with ASan and is loaded before the ASan runtime.
        {"ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0"}};
    auto gw = std::make_unique<gateway_process>(opts);
    gw->start();

    std::vector<ledger_entry> ledger;
    http_client c(gw->port());
    ASSERT_EQ(c.request("PUT", "/v1/skus/hot", sku_body(static_cast<int>(stock)), admin).status,
              201);
    for (int i = 0; i < 20; ++i) {
        ledger.push_back(
            send_order(c, "before-" + std::to_string(i), order_body("b", {{"hot", 1}})));
        ASSERT_EQ(ledger.back().status, 201);
    }

    order_loaders load(gw->port(), 6, "hot", 100'000);
    ASSERT_TRUE(poll_until([&] { return load.acked() >= 200; }, std::chrono::seconds(60)))
        << "loaders got only " << load.acked() << " acknowledgements";
    // From the moment the file exists every fdatasync fails, so a request sent after this
    // point can only be made durable by a sync that fails: it must never get a 2xx.
    const int fd = ::open(trigger.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
    const steady::time_point fault_at = steady::now();

    ASSERT_TRUE(
        poll_until([&] { return c.get("/readyz").status == 503; }, std::chrono::seconds(10)))
        << "/readyz did not turn 503 after the fault";
    const http_reply ready = c.get("/readyz");
    EXPECT_EQ(ready.json()["code"], "log_failed");
    EXPECT_EQ(metric(c, "flashgate_log_failed"), 1);
    {
        const http_reply r = c.request("POST", "/v1/orders", order_body("b", {{"hot", 1}}),
                                       {{"Idempotency-Key", "after-fault"}});
        EXPECT_EQ(r.status, 503);
        EXPECT_EQ(r.header("content-type"), "application/problem+json");
        EXPECT_EQ(r.header("retry-after"), "1");
        EXPECT_EQ(r.json()["code"], "log_failed");
        ledger.push_back({.key = "after-fault",
                          .body = order_body("b", {{"hot", 1}}),
                          .sent = fault_at,
                          .status = r.status,
                          .code = r.json()["code"]});
    }
    load.join();  // every loader stops at its first refusal

    // The process ends by itself, with the fail-stop code, within its grace plus a margin.
    const std::optional<int> code = gw->wait_exit_for(grace_ms + 20'000);
    ASSERT_TRUE(code.has_value()) << "the gateway did not exit after the log failed";
    EXPECT_EQ(*code, 3);
    EXPECT_NE(gw->output().find("log failed"), std::string::npos) << gw->output();

    const std::vector<ledger_entry> loaded = load.ledger();
    int after_fault = 0, failed_answers = 0;
    for (const ledger_entry& e : loaded) {
        // Every request was answered (the grace kept the listener up): an ack or log_failed.
        EXPECT_TRUE(e.status == 201 || (e.status == 503 && e.code == "log_failed"))
            << e.key << ": " << e.status << " " << e.code;
        if (e.sent > fault_at) {
            ++after_fault;
            EXPECT_NE(e.status, 201) << e.key << " was acknowledged after the fault";
        }
        failed_answers += e.code == "log_failed" ? 1 : 0;
    }
    EXPECT_GE(failed_answers, 1);
    std::printf("eio: %zu loader requests, %d sent after the fault, %d answered log_failed\n",
                loaded.size(), after_fault, failed_answers);
    ledger.insert(ledger.end(), loaded.begin(), loaded.end());

    // Restart without the shim: every acknowledged order is there, stock adds up. Requests
    // answered log_failed may or may not be in the log (the failed batch may have reached the
    // page cache); their retries settle it.
    gateway_options plain = opts;
    plain.env.clear();
    gw = std::make_unique<gateway_process>(plain);
    gw->start();
    http_client after(gw->port());
    audit_after_restart(after, ledger, {}, {}, "hot", stock);
}

}  // namespace
}  // namespace fg::testing
