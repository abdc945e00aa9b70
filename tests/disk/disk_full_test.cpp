// A full disk, for real: the gateway runs on a small tmpfs, a filler file leaves less room than
// one log segment, and orders use the current segment up. The roll to the next segment then
// fails with ENOSPC. A second variant fails the log's pwrite itself with ENOSPC (an LD_PRELOAD
// shim, fault_shim.c), as a lazily allocating file system could. Expected (storage/README.md, S6
// and the failure model): new writes are refused at once with 503 disk_full, the records already
// appended stay pending (never refused), /readyz is 503; once the filler is deleted the roll
// succeeds by itself, the pending orders are acknowledged, intake resumes, and a restart replays
// cleanly with exact stock.
//
// The tmpfs variant needs root (mount). Without it the test fails, on purpose: CI runs as root.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "disk_support.hpp"
#include "tmpfs_mount.hpp"

namespace fg::testing {
namespace {

constexpr std::uint64_t segment_bytes = 262'144;
constexpr std::int64_t stock = 1'000'000;

// How the disk runs out: a tmpfs filled up (the next segment cannot be created), or the shim
// failing every pwrite while its trigger file exists.
enum class full_by { segment_roll_on_tmpfs, pwrite_shim };

class disk_full_test : public ::testing::TestWithParam<full_by> {
 protected:
    // Destroyed in reverse: the gateway is killed, then the tmpfs unmounted, then the dir gone.
    temp_dir dir_;
    std::unique_ptr<tmpfs_mount> mnt_;
    std::unique_ptr<gateway_process> gw_;
};

TEST_P(disk_full_test, NewWritesGet503WhilePendingOnesWaitThenIntakeResumesByItself) {
    const full_by how = GetParam();
    gateway_options opts;
    opts.threads = 2;
    opts.extra_args = {"--log-segment-bytes", std::to_string(segment_bytes)};
    const std::filesystem::path mnt = dir_.path() / "tmpfs";
    const std::filesystem::path trigger = dir_.path() / "enospc-trigger";
    if (how == full_by::segment_roll_on_tmpfs) {
        mnt_ = std::make_unique<tmpfs_mount>(mnt, "8m");
        ASSERT_TRUE(mnt_->mounted()) << mnt_->error();
        opts.data_dir = mnt / "data";
    } else {
        opts.data_dir = dir_.path() / "data";
        const char* asan = std::getenv("ASAN_OPTIONS");
        opts.env = {{"LD_PRELOAD", FG_FAULT_SHIM},
                    {"FG_FAULT_ENOSPC_FILE", trigger.string()},
                    // The shim is not built with ASan and is loaded before the ASan runtime.
                    {"ASAN_OPTIONS",
                     std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0"}};
    }
    gw_ = std::make_unique<gateway_process>(opts);
    gw_->start();
    http_client c(gw_->port());
    ASSERT_EQ(c.request("PUT", "/v1/skus/hot", sku_body(static_cast<int>(stock)), admin).status,
              201);
    std::vector<ledger_entry> ledger;
    for (int i = 0; i < 5; ++i) {
        ledger.push_back(
            send_order(c, "before-" + std::to_string(i), order_body("b", {{"hot", 1}})));
        ASSERT_EQ(ledger.back().status, 201);
    }
    const std::string to_cancel = ledger.front().order_id;

    const std::filesystem::path filler = mnt / "filler";
    if (how == full_by::segment_roll_on_tmpfs) {
        // Leave half a segment: the segment in use has its blocks already, the next can't fit.
        write_filler(filler, free_bytes(mnt) - segment_bytes / 2);
        ASSERT_LT(free_bytes(mnt), segment_bytes) << "the filler did not fill the tmpfs";
    }

    // Orders until the disk is found full; each loader stops at its first answer that is not
    // 201, or blocks in a request whose record waits for space.
    order_loaders load(gw_->port(), 4, "hot", 20'000);
    if (how == full_by::pwrite_shim) {
        // Mid-stream: from the next batch on, every pwrite fails with ENOSPC.
        ASSERT_TRUE(poll_until([&] { return load.acked() >= 200; }, std::chrono::seconds(60)));
        const int fd = ::open(trigger.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        ASSERT_GE(fd, 0);
        ::close(fd);
    }
    ASSERT_TRUE(poll_until([&] { return metric(c, "flashgate_log_disk_full") == 1; },
                           std::chrono::seconds(60)))
        << "the disk never filled up; loaders finished: " << load.finished();
    // A few more attempts at the roll, so that any loader not stuck behind the full disk has
    // had its 503 by now: whatever is still in flight is pending in the log.
    ASSERT_TRUE(poll_until([&] { return metric(c, "flashgate_log_enospc_total") >= 3; },
                           std::chrono::seconds(10)));
    std::vector<std::pair<int, std::string>> pending;  // loader thread, key
    for (int t = 0; t < load.threads(); ++t) {
        if (std::string k = load.in_flight_key(t); !k.empty()) pending.emplace_back(t, k);
    }
    EXPECT_FALSE(pending.empty()) << "the record that needed the new segment must be waiting";
    // A retry of a request still waiting for space finds its key in flight: 409, and nothing
    // is created or refused for it (issue 5: a retry while the first is in flight).
    for (const auto& [t, k] : pending) {
        const http_reply r = c.request("POST", "/v1/orders", order_body("b", {{"hot", 1}}),
                                       {{"Idempotency-Key", k}});
        EXPECT_EQ(r.status, 409) << r.body;
        EXPECT_EQ(r.json().value("code", ""), "request_in_progress");
    }

    // While the disk is still full, so nothing here can be waiting for space: refusals.
    const ledger_entry probe = send_order(c, "probe-full", order_body("b", {{"hot", 1}}));
    EXPECT_EQ(probe.status, 503);
    EXPECT_EQ(probe.code, "disk_full");
    ledger.push_back(probe);
    {
        const http_reply r = c.request("POST", "/v1/orders", order_body("b", {{"hot", 1}}),
                                       {{"Idempotency-Key", "probe-headers"}});
        EXPECT_EQ(r.status, 503);
        EXPECT_EQ(r.header("content-type"), "application/problem+json");
        EXPECT_EQ(r.header("retry-after"), "1");
        EXPECT_EQ(r.json()["code"], "disk_full");
        ledger.push_back({.key = "probe-headers",
                          .body = order_body("b", {{"hot", 1}}),
                          .status = r.status,
                          .code = r.json()["code"]});
    }
    const http_reply cancel = c.request("POST", "/v1/orders/" + to_cancel + "/cancel");
    EXPECT_EQ(cancel.status, 503);
    EXPECT_EQ(cancel.json()["code"], "disk_full");
    EXPECT_EQ(c.request("PUT", "/v1/skus/cold", sku_body(5), admin).json()["code"], "disk_full");
    EXPECT_EQ(c.request("POST", "/v1/skus/hot/stock", R"({"delta": 1})", admin).json()["code"],
              "disk_full");
    const http_reply ready = c.get("/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(ready.json()["code"], "disk_full");
    // Reads still work, and the refused cancel changed nothing.
    EXPECT_EQ(c.get("/v1/orders/" + to_cancel).json()["status"], "pending_payment");
    EXPECT_EQ(c.get("/v1/skus/cold").status, 404);
    EXPECT_EQ(c.get("/v1/skus/hot").json()["stock"], stock);
    for (const auto& [t, k] : pending) {
        EXPECT_EQ(load.in_flight_key(t), k) << "pending request " << k << " was answered";
    }

    // Space comes back: the writer's next attempt succeeds, with no restart.
    load.stop();  // loaders end after their pending request is answered
    std::filesystem::remove(how == full_by::segment_roll_on_tmpfs ? filler : trigger);
    int attempt = 0;
    ASSERT_TRUE(poll_until(
        [&] {
            ledger.push_back(
                send_order(c, "after-" + std::to_string(attempt++), order_body("b", {{"hot", 1}})));
            EXPECT_TRUE(ledger.back().status == 201 || ledger.back().code == "disk_full")
                << ledger.back().status << " " << ledger.back().code;
            return ledger.back().status == 201;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(50)))
        << "intake did not resume after space returned";
    load.join();
    EXPECT_EQ(c.get("/readyz").status, 200);
    EXPECT_EQ(metric(c, "flashgate_log_disk_full"), 0);

    const std::vector<ledger_entry> loaded = load.ledger();
    int pending_acked = 0;
    for (const ledger_entry& e : loaded) {
        // Nothing but an acknowledgement or a clean refusal; "no answer" only after a timeout.
        EXPECT_TRUE(e.status == 201 || e.status == 0 || (e.status == 503 && e.code == "disk_full"))
            << e.key << ": " << e.status << " " << e.code;
        const bool was_pending = std::any_of(pending.begin(), pending.end(),
                                             [&e](const auto& p) { return p.second == e.key; });
        if (was_pending) {
            EXPECT_TRUE(e.status == 201 || e.status == 0)
                << "pending request " << e.key << " was refused: " << e.status << " " << e.code;
            pending_acked += e.status == 201 ? 1 : 0;
        }
    }
    EXPECT_GE(pending_acked, 1) << "no pending request was acknowledged once space returned";
    std::printf("disk full: %zu loader requests, %zu pending while full, %d of them acked after\n",
                loaded.size(), pending.size(), pending_acked);
    ledger.insert(ledger.end(), loaded.begin(), loaded.end());

    // Writes work again: the refused cancel now goes through.
    ASSERT_EQ(c.request("POST", "/v1/orders/" + to_cancel + "/cancel").status, 200);

    // Restart on the same file system (without the shim): a clean replay, no torn bytes, exact
    // stock.
    EXPECT_EQ(gw_->stop(), 0);
    opts.env.clear();
    gw_ = std::make_unique<gateway_process>(opts);
    gw_->start();
    EXPECT_NE(gw_->output().find("cut 0 torn bytes"), std::string::npos) << gw_->output();
    for (const auto& e : std::filesystem::directory_iterator(opts.data_dir / "log")) {
        EXPECT_NE(e.path().extension(), ".tmp") << "left behind: " << e.path();
    }
    http_client after(gw_->port());
    audit_after_restart(after, ledger, {"disk_full"}, {to_cancel}, "hot", stock);
}

// SIGTERM while a write waits for space: the process stops at once (it does not wait for the
// disk) and cleanly, exit 0 (under ASan this also proves that the abandoned reply, which owns
// its connection, is released safely). The waiting write was never acknowledged and never
// written: after a restart its key creates a fresh order.
TEST(DiskFullStop, SigtermWhileAWriteWaitsForSpaceExitsCleanlyAndTheWriteIsAbsent) {
    temp_dir dir;
    const std::filesystem::path trigger = dir.path() / "enospc-trigger";
    gateway_options opts;
    opts.data_dir = dir.path() / "data";
    opts.threads = 2;
    const char* asan = std::getenv("ASAN_OPTIONS");
    opts.env = {
        {"LD_PRELOAD", FG_FAULT_SHIM},
        {"FG_FAULT_ENOSPC_FILE", trigger.string()},
        {"ASAN_OPTIONS", std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0"}};
    auto gw = std::make_unique<gateway_process>(opts);
    gw->start();
    http_client c(gw->port());
    ASSERT_EQ(c.request("PUT", "/v1/skus/hot", sku_body(10), admin).status, 201);
    const int fd = ::open(trigger.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);

    const std::string body = order_body("b", {{"hot", 1}});
    ledger_entry waiting;
    std::thread client([&] {
        http_client w(gw->port());
        waiting = send_order(w, "waits", body);
    });
    EXPECT_TRUE(poll_until([&] { return metric(c, "flashgate_log_disk_full") == 1; },
                           std::chrono::seconds(30)));
    ::kill(gw->pid(), SIGTERM);
    const std::optional<int> code = gw->wait_exit_for(20'000);
    client.join();
    ASSERT_TRUE(code.has_value()) << "SIGTERM did not stop a gateway whose disk is full";
    EXPECT_EQ(*code, 0);
    EXPECT_EQ(waiting.status, 0) << "the waiting write was answered: " << waiting.code;

    ::unlink(trigger.c_str());
    opts.env.clear();
    gw = std::make_unique<gateway_process>(opts);
    gw->start();
    http_client after(gw->port());
    EXPECT_EQ(after.request("POST", "/v1/orders", body, {{"Idempotency-Key", "waits"}}).status,
              201);
    const nlohmann::json sku = after.get("/v1/skus/hot").json();
    EXPECT_EQ(sku["held"], 1);
    EXPECT_EQ(sku["available"], 9);
}

INSTANTIATE_TEST_SUITE_P(DiskFull, disk_full_test,
                         ::testing::Values(full_by::segment_roll_on_tmpfs, full_by::pwrite_shim),
                         [](const auto& info) {
                             return info.param == full_by::segment_roll_on_tmpfs
                                        ? "SegmentRollOnTmpfs"
                                        : "PwriteShim";
                         });

}  // namespace
}  // namespace fg::testing
