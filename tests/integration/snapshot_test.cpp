// Snapshots through the real binary: they are written while orders flow, old segments go, a
// restart loads the newest snapshot and replays only the log after it, a corrupt newest
// snapshot falls back to the one before, and a log that no snapshot can complete is refused.

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "fixture.hpp"

namespace fg::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> snapshot_args = {"--log-segment-bytes", "65536",
                                                "--snapshot-records", "300"};

std::vector<fs::path> files(const fs::path& dir, const std::string& ext) {
    std::vector<fs::path> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ext) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

void flip_byte(const fs::path& p, std::uint64_t offset) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x20);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
}

// Runs the binary on `data_dir` expecting it to refuse start-up; returns its exit code and
// everything it printed. Bounded by `timeout`, so a binary that starts after all fails the test
// instead of hanging it.
std::pair<int, std::string> run_expecting_refusal(const fs::path& data_dir) {
    const std::string cmd = std::string("timeout 30 ") + FG_GATEWAY_BINARY +
                            " --port 0 --threads 2 --data-dir " + data_dir.string() + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    const int status = p == nullptr ? -1 : ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class snapshot_test : public gateway_test {
 protected:
    void start_with_snapshots(std::vector<std::string> extra = snapshot_args) {
        gateway_options opts;
        opts.data_dir = dir_.path();
        opts.threads = 3;
        opts.extra_args = std::move(extra);
        gw_ = std::make_unique<gateway_process>(opts);
        gw_->start();
    }

    // Orders on three SKUs (some cancelled) until at least `snapshots` snapshots exist.
    void place_until_snapshots(std::uint64_t snapshots) {
        http_client c(gw_->port());
        for (const char* id : {"alpha", "beta", "gamma"}) {
            ASSERT_EQ(put_sku(c, id, sku_body(1'000'000)).status, 201);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        int i = 0;
        while (metric(c, "flashgate_snapshots_written_total") < snapshots) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "snapshots never came";
            for (int k = 0; k < 100; ++k, ++i) {
                const std::string sku = i % 3 == 0 ? "alpha" : (i % 3 == 1 ? "beta" : "gamma");
                std::vector<std::pair<std::string, int>> items = {{sku, 1 + i % 2}};
                if (i % 7 == 0) items.push_back({"gamma" == sku ? "alpha" : "gamma", 1});
                http_reply r = place(c, "key-" + std::to_string(i),
                                     order_body("b" + std::to_string(i % 50), items));
                ASSERT_EQ(r.status, 201) << r.body;
                const std::string id = r.json()["order_id"];
                if (i % 5 == 0) {
                    ASSERT_EQ(c.request("POST", "/v1/orders/" + id + "/cancel").status, 200);
                }
                ids_.push_back(id);
            }
        }
    }

    // Every order and SKU as the gateway shows them now.
    std::map<std::string, std::string> state() {
        http_client c(gw_->port());
        std::map<std::string, std::string> s;
        for (const std::string& id : ids_) s[id] = c.get("/v1/orders/" + id).body;
        for (const char* id : {"alpha", "beta", "gamma"}) {
            nlohmann::json j = c.get(std::string("/v1/skus/") + id).json();
            s[id] = j.dump();
        }
        return s;
    }

    std::vector<std::string> ids_;
};

TEST_F(snapshot_test, RestartLoadsTheNewestSnapshotAndReplaysOnlyTheRest) {
    start_with_snapshots();
    place_until_snapshots(3);
    {
        http_client c(gw_->port());
        EXPECT_GT(metric(c, "flashgate_log_segments_removed_total"), 0);
    }
    const auto before = state();
    const auto segments_left = files(dir_.path() / "log", ".seg");
    EXPECT_FALSE(fs::exists(dir_.path() / "log" / "00000000000000000000.seg"))
        << "the first segment is covered by the kept snapshots";
    EXPECT_LE(files(dir_.path() / "snapshots", ".snap").size(), 2u) << "--snapshots-kept 2";

    gw_->kill9();
    start_with_snapshots();
    EXPECT_NE(gw_->output().find("flashgate: loaded snapshot snapshot-"), std::string::npos)
        << gw_->output();
    EXPECT_EQ(state(), before);

    // The replay after the snapshot is a fraction of everything ever logged.
    const std::regex ready("replayed ([0-9]+) records");
    std::smatch m;
    const std::string out = gw_->output();
    ASSERT_TRUE(std::regex_search(out, m, ready)) << out;
    EXPECT_LT(std::stoull(m[1]), ids_.size()) << out;
}

TEST_F(snapshot_test, CorruptNewestSnapshotFallsBackToTheOneBefore) {
    start_with_snapshots();
    place_until_snapshots(2);
    const auto before = state();
    EXPECT_EQ(gw_->stop(), 0);
    const auto snaps = files(dir_.path() / "snapshots", ".snap");
    ASSERT_EQ(snaps.size(), 2u);
    flip_byte(snaps.back(), 200);  // the newest: names sort by log position

    start_with_snapshots({"--log-segment-bytes", "65536", "--snapshot-records", "0"});
    const std::string out = gw_->output();
    EXPECT_NE(out.find("skipped invalid snapshot"), std::string::npos) << out;
    EXPECT_NE(out.find("loaded snapshot " + snaps.front().filename().string()), std::string::npos)
        << out;
    EXPECT_EQ(state(), before);
}

TEST_F(snapshot_test, LogThatNoSnapshotCompletesIsRefused) {
    start_with_snapshots();
    place_until_snapshots(3);
    EXPECT_EQ(gw_->stop(), 0);
    ASSERT_FALSE(fs::exists(dir_.path() / "log" / "00000000000000000000.seg"));
    for (const fs::path& p : files(dir_.path() / "snapshots", ".snap")) flip_byte(p, 100);

    const auto [code, out] = run_expecting_refusal(dir_.path());
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(out.find("no snapshot covers them"), std::string::npos) << out;
    EXPECT_NE(out.find("skipped invalid snapshot"), std::string::npos) << out;
}

}  // namespace
}  // namespace fg::testing
