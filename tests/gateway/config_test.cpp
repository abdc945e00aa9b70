#include "gateway/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "gateway/risk_config.hpp"

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

TEST(ConfigRisk, EverythingIsOffByDefault) {
    parsed p = parse({});
    ASSERT_EQ(p.action, config_action::run);
    EXPECT_FALSE(p.cfg.risk.any_per_buyer());
    EXPECT_FALSE(p.cfg.risk.any_per_ip());
    EXPECT_EQ(p.cfg.risk.new_location, matching::risk_action::allow);
    EXPECT_EQ(p.cfg.risk.ipv4_prefix_bits, 24);
    EXPECT_EQ(p.cfg.risk.ipv6_prefix_bits, 48);
    for (std::string_view flag : {"--rate-buyer", "--rate-ip", "--velocity-buyer", "--velocity-ip",
                                  "--new-location", "--ip-prefix-v4"}) {
        EXPECT_NE(usage_text().find(flag), std::string_view::npos) << flag;
    }
}

TEST(ConfigRisk, RatesPerSecondMinuteAndHourWithOptionalBurst) {
    parsed p = parse({"--rate-buyer", "5/s:10", "--rate-ip=30/m"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_DOUBLE_EQ(p.cfg.risk.buyer_rate.per_second, 5);
    EXPECT_DOUBLE_EQ(p.cfg.risk.buyer_rate.burst, 10);
    EXPECT_DOUBLE_EQ(p.cfg.risk.ip_rate.per_second, 0.5);
    EXPECT_DOUBLE_EQ(p.cfg.risk.ip_rate.burst, 0) << "0 = the guard's default burst";
    EXPECT_TRUE(p.cfg.risk.any_per_buyer());
    EXPECT_TRUE(p.cfg.risk.any_per_ip());

    p = parse({"--rate-buyer", "2.5/s", "--rate-ip", "1/h"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_DOUBLE_EQ(p.cfg.risk.buyer_rate.per_second, 2.5);
    EXPECT_DOUBLE_EQ(p.cfg.risk.ip_rate.per_second, 1.0 / 3600);

    p = parse({"--rate-buyer", "5/s", "--rate-buyer", "off"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_DOUBLE_EQ(p.cfg.risk.buyer_rate.per_second, 0);
}

TEST(ConfigRisk, VelocityRulesWithEachAction) {
    parsed p = parse({"--velocity-buyer", "3/10s:review", "--velocity-ip", "20/2m:reject"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_EQ(p.cfg.risk.buyer_velocity.max_orders, 3u);
    EXPECT_EQ(p.cfg.risk.buyer_velocity.window_ms, 10'000);
    EXPECT_EQ(p.cfg.risk.buyer_velocity.action, matching::risk_action::review);
    EXPECT_EQ(p.cfg.risk.ip_velocity.max_orders, 20u);
    EXPECT_EQ(p.cfg.risk.ip_velocity.window_ms, 120'000);
    EXPECT_EQ(p.cfg.risk.ip_velocity.action, matching::risk_action::reject);

    p = parse({"--velocity-buyer", "1/24h:allow"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_EQ(p.cfg.risk.buyer_velocity.window_ms, 24ll * 3600 * 1000);
    EXPECT_FALSE(p.cfg.risk.any_per_buyer()) << "allow does nothing";

    p = parse({"--velocity-ip", "3/10s:review", "--velocity-ip", "off"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_EQ(p.cfg.risk.ip_velocity.max_orders, 0u);
}

TEST(ConfigRisk, NewLocationAndPrefixLengths) {
    parsed p = parse({"--new-location", "reject", "--ip-prefix-v4", "16", "--ip-prefix-v6=56"});
    ASSERT_EQ(p.action, config_action::run) << p.message;
    EXPECT_EQ(p.cfg.risk.new_location, matching::risk_action::reject);
    EXPECT_EQ(p.cfg.risk.ipv4_prefix_bits, 16);
    EXPECT_EQ(p.cfg.risk.ipv6_prefix_bits, 56);
    EXPECT_EQ(parse({"--new-location=review"}).cfg.risk.new_location,
              matching::risk_action::review);
    EXPECT_EQ(parse({"--ip-prefix-v6", "128"}).cfg.risk.ipv6_prefix_bits, 128);
}

TEST(ConfigRisk, BadRiskValuesAreRefusedWithTheFlagAndTheExpectedForm) {
    const std::vector<std::pair<const char*, const char*>> bad = {
        {"--rate-buyer", "5"},
        {"--rate-buyer", "5/x"},
        {"--rate-buyer", "0/s"},
        {"--rate-buyer", "-1/s"},
        {"--rate-buyer", "inf/s"},
        {"--rate-buyer", "nan/s"},
        {"--rate-buyer", "5/s:"},
        {"--rate-buyer", "5/s:0"},
        {"--rate-buyer", "5/s:1.5"},
        {"--rate-buyer", "5/s:2000000"},
        {"--rate-ip", "1/d"},
        {"--rate-ip", "2000000/s"},
        {"--rate-ip", "0.1/h"},
        {"--rate-ip", "OFF"},
        {"--rate-ip", " 5/s"},
        {"--rate-ip", ""},
        {"--velocity-buyer", "3/10s"},
        {"--velocity-buyer", "3/10s:block"},
        {"--velocity-buyer", "0/10s:review"},
        {"--velocity-buyer", "101/10s:review"},
        {"--velocity-buyer", "3/0s:review"},
        {"--velocity-buyer", "3/10:review"},
        {"--velocity-buyer", "3/s:review"},
        {"--velocity-buyer", "3/25h:review"},
        {"--velocity-buyer", "3/-5s:review"},
        {"--velocity-ip", "3:review/10s"},
        {"--velocity-ip", "3/10ms:review"},
        {"--new-location", "yes"},
        {"--new-location", "Review"},
        {"--ip-prefix-v4", "0"},
        {"--ip-prefix-v4", "33"},
        {"--ip-prefix-v6", "129"},
        {"--ip-prefix-v6", "x"},
    };
    for (auto [flag, value] : bad) {
        parsed p = parse({flag, value});
        EXPECT_EQ(p.action, config_action::error) << flag << " " << value;
        EXPECT_NE(p.message.find(flag), std::string::npos) << p.message;
        EXPECT_NE(p.message.find("expected"), std::string::npos) << p.message;
    }
    parsed unknown = parse({"--rate-everyone", "5/s"});
    EXPECT_EQ(unknown.action, config_action::error);
    EXPECT_NE(unknown.message.find("unknown option --rate-everyone"), std::string::npos);
    EXPECT_EQ(parse({"--velocity-"}).action, config_action::error) << "needs a value";
}

TEST(ConfigRisk, ApplyRiskOptionLeavesOptionsAloneOnError) {
    matching::risk_options o;
    std::string message;
    ASSERT_TRUE(apply_risk_option(o, "rate-buyer", "4/s:8", message)) << message;
    EXPECT_FALSE(apply_risk_option(o, "rate-buyer", "4/s:0", message));
    EXPECT_DOUBLE_EQ(o.buyer_rate.per_second, 4);
    EXPECT_DOUBLE_EQ(o.buyer_rate.burst, 8);
    EXPECT_FALSE(apply_risk_option(o, "host", "x", message)) << "only risk names";
}

}  // namespace fg::gateway
