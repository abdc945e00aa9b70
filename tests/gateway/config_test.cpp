#include "gateway/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace fg::gateway {
namespace {

struct parsed {
    config_action action;
    config cfg;
    std::string message;
};

parsed parse(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "flashgate");
    parsed p;
    p.action = parse_config(
        static_cast<int>(args.size()), args.data(),
        [&env](const char* name) -> const char* {
            auto it = env.find(name);
            return it == env.end() ? nullptr : it->second.c_str();
        },
        p.cfg, p.message);
    return p;
}

}  // namespace

TEST(Config, DefaultsListenOnLoopback8080WithOneThreadPerCore) {
    parsed p = parse({});
    ASSERT_EQ(p.action, config_action::run);
    EXPECT_EQ(p.cfg.host, "127.0.0.1");
    EXPECT_EQ(p.cfg.port, 8080);
    EXPECT_GE(p.cfg.threads, 1u);
    EXPECT_EQ(p.cfg.data_dir, "data");
}

TEST(Config, FlagsOverrideEnvironment) {
    parsed p = parse({"--port", "9001", "--threads=3"}, {{"FLASHGATE_PORT", "7000"},
                                                         {"FLASHGATE_DATA_DIR", "/tmp/x"},
                                                         {"FLASHGATE_ADMIN_TOKEN", "secret"}});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_EQ(p.cfg.port, 9001);
    EXPECT_EQ(p.cfg.threads, 3u);
    EXPECT_EQ(p.cfg.data_dir, "/tmp/x");
    EXPECT_EQ(p.cfg.admin_token, "secret");
}

TEST(Config, FailStopGraceDefaultsToOneSecondAndIsBounded) {
    EXPECT_EQ(parse({}).cfg.fail_stop_grace_ms, 1000u);
    parsed p = parse({"--fail-stop-grace-ms", "0"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_EQ(p.cfg.fail_stop_grace_ms, 0u);
    EXPECT_EQ(parse({"--fail-stop-grace-ms=60001"}).action, config_action::error);
}

TEST(Config, BadValuesAreRefusedWithTheirName) {
    parsed port = parse({"--port", "70000"});
    EXPECT_EQ(port.action, config_action::error);
    EXPECT_NE(port.message.find("--port"), std::string::npos);
    parsed env = parse({}, {{"FLASHGATE_THREADS", "zero"}});
    EXPECT_EQ(env.action, config_action::error);
    EXPECT_NE(env.message.find("FLASHGATE_THREADS"), std::string::npos);
    EXPECT_EQ(parse({"--nope", "1"}).action, config_action::error);
    EXPECT_EQ(parse({"--port"}).action, config_action::error);
    EXPECT_EQ(parse({"--log-ring-bytes", "100000"}).action, config_action::error)
        << "not a power of two";
}

TEST(Config, HelpAndVersionAreActions) {
    EXPECT_EQ(parse({"--help"}).action, config_action::help);
    EXPECT_EQ(parse({"--version"}).action, config_action::version);
    EXPECT_NE(usage_text().find("--data-dir"), std::string_view::npos);
}

}  // namespace fg::gateway
