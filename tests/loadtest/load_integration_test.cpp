// flashgate-load against the real gateway binary over loopback: bounded runs in closed and open
// loop must pass their own audit, write every output file, and honour the exit-code contract.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../integration/gateway_process.hpp"

namespace fg::testing {
namespace {

struct load_run {
    int exit_code = -1;
    std::string output;
};

class load_integration : public ::testing::Test {
 protected:
    void SetUp() override {
        gateway_options opts;
        opts.data_dir = data_.path();
        opts.threads = 2;
        gw_ = std::make_unique<gateway_process>(opts);
        gw_->start();
    }

    load_run load(const std::string& args) {
        const std::filesystem::path log = out_.path() / "stdout.txt";
        const std::string cmd = "FLASHGATE_ADMIN_TOKEN=test-admin-token " +
                                std::string(FG_LOAD_BINARY) +
                                " --url http://127.0.0.1:" + std::to_string(gw_->port()) + " " +
                                args + " > " + log.string() + " 2>&1";
        const int status = std::system(cmd.c_str());
        load_run r;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::ifstream in(log);
        std::stringstream ss;
        ss << in.rdbuf();
        r.output = ss.str();
        return r;
    }

    std::filesystem::path report_dir(const std::string& name) const { return out_.path() / name; }

    static nlohmann::json read_summary(const std::filesystem::path& dir) {
        std::ifstream in(dir / "summary.json");
        return nlohmann::json::parse(in);
    }

    static void expect_all_files(const std::filesystem::path& dir) {
        for (const char* f : {"summary.json", "per_second.csv", "latency.hgrm", "report.html"}) {
            ASSERT_TRUE(std::filesystem::exists(dir / f)) << f;
            EXPECT_GT(std::filesystem::file_size(dir / f), 0u) << f;
        }
    }

    temp_dir data_;
    temp_dir out_;
    std::unique_ptr<gateway_process> gw_;
};

TEST_F(load_integration, ClosedLoopFlashSaleSellsOutExactlyAndPassesAudit) {
    const auto dir = report_dir("closed");
    const load_run r =
        load("--workload flash_sale --stock 300 --requests 1200 --connections 32 --out " +
             dir.string() + " --ledger " + (dir / "ledger.csv").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Audit: PASSED"), std::string::npos) << r.output;
    expect_all_files(dir);
    EXPECT_TRUE(std::filesystem::exists(dir / "ledger.csv"));
    const nlohmann::json s = read_summary(dir);
    EXPECT_EQ(s["requests"], 1200);
    EXPECT_EQ(s["acknowledged"], 300);  // demand (1200) exceeds stock: exactly the stock is sold
    EXPECT_EQ(s["refused"], 900);
    EXPECT_EQ(s["refusal_codes"]["sold_out"], 900);
    EXPECT_EQ(s["unknown"], 0);
    EXPECT_TRUE(s["audit"]["passed"].get<bool>());
}

TEST_F(load_integration, OpenLoopFlashSaleSellsOutExactly) {
    const auto dir = report_dir("open");
    const load_run r =
        load("--workload flash_sale --stock 200 --mode open --rate 400 --requests 600 --out " +
             dir.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Late sends"), std::string::npos) << r.output;
    expect_all_files(dir);
    const nlohmann::json s = read_summary(dir);
    EXPECT_EQ(s["mode"], "open");
    EXPECT_EQ(s["requests"], 600);
    EXPECT_EQ(s["acknowledged"], 200);
    EXPECT_GE(s["duration_s"].get<double>(), 1.4);  // 600 arrivals at 400/s take 1.5 s
}

TEST_F(load_integration, RetriesKeepOneOrderPerKeyInBothLoops) {
    for (const std::string mode :
         {"--mode closed --requests 1500", "--mode open --rate 500 --duration 2s"}) {
        const auto dir = report_dir(mode.substr(7, 4));
        const load_run r = load("--workload retries --skus 50 " + mode + " --out " + dir.string());
        ASSERT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(r.output.find("Audit: PASSED"), std::string::npos) << r.output;
        expect_all_files(dir);
        const nlohmann::json s = read_summary(dir);
        EXPECT_GT(s["retries"].get<int>(), 0);
        EXPECT_GT(s["acknowledged"].get<int>(), 0);
        EXPECT_EQ(s["unknown"], 0);
    }
}

TEST_F(load_integration, ImpossibleThresholdExitsThree) {
    const load_run r = load("--requests 200 --threshold 'p99<1us' --threshold 'rps>1'");
    EXPECT_EQ(r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("Threshold p99<1us: FAIL"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Threshold rps>1: pass"), std::string::npos) << r.output;
}

TEST_F(load_integration, UsageErrorsExitSixtyFour) {
    EXPECT_EQ(load("--no-such-flag").exit_code, 64);
    EXPECT_EQ(load("--mode open").exit_code, 64);
    EXPECT_EQ(load("--threshold p99").exit_code, 64);
    EXPECT_EQ(load("--workload does_not_exist").exit_code, 64);
}

}  // namespace
}  // namespace fg::testing
