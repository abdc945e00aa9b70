#include "gateway/codec/problem.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/codec/request_decoder.hpp"

namespace fg::gateway {
namespace {

using matching::outcome;

TEST(ProblemFor, EveryOutcomeHasItsOwnCodeAndAnErrorStatus) {
    for (int raw = 1; raw < 256; ++raw) {
        const auto o = static_cast<outcome>(raw);
        if (matching::to_string(o) == "unknown") continue;  // not an enumerator
        const problem p = problem_for(o);
        EXPECT_EQ(p.code, matching::to_string(o)) << raw;
        EXPECT_GE(p.status, 400) << p.code;
        EXPECT_FALSE(p.title.empty()) << p.code;
    }
}

TEST(ProblemFor, OutcomesMapToTheirStatus) {
    EXPECT_EQ(problem_for(outcome::unknown_sku).status, 404);
    EXPECT_EQ(problem_for(outcome::sold_out).status, 409);
    EXPECT_EQ(problem_for(outcome::sale_not_open).status, 409);
    EXPECT_EQ(problem_for(outcome::mixed_currency).status, 422);
    EXPECT_EQ(problem_for(outcome::incomplete_sku).status, 422);
    EXPECT_EQ(problem_for(outcome::order_not_found).status, 404);
    EXPECT_EQ(problem_for(outcome::request_in_progress).status, 409);
    EXPECT_EQ(problem_for(outcome::overloaded).status, 503);
    EXPECT_EQ(problem_for(outcome::disk_full).status, 503);
    EXPECT_EQ(problem_for(outcome::log_failed).status, 503);
}

TEST(ProblemFor, OkIsAnInternalError) {
    EXPECT_EQ(problem_for(outcome::ok).status, 500);
    EXPECT_EQ(problem_for(outcome::ok).code, "internal_error");
}

TEST(GatewayProblem, KnownCodesHaveTheirStatus) {
    const std::pair<std::string_view, std::uint16_t> expected[] = {{"malformed_json", 400},
                                                                   {"invalid_request", 422},
                                                                   {"missing_idempotency_key", 400},
                                                                   {"invalid_idempotency_key", 400},
                                                                   {"unauthorized", 401},
                                                                   {"not_found", 404},
                                                                   {"method_not_allowed", 405},
                                                                   {"unsupported_media_type", 415},
                                                                   {"body_too_large", 413},
                                                                   {"headers_too_large", 431},
                                                                   {"not_ready", 503},
                                                                   {"bad_request", 400},
                                                                   {"internal_error", 500}};
    for (const auto& [code, status] : expected) {
        const problem p = gateway_problem(code);
        EXPECT_EQ(p.code, code);
        EXPECT_EQ(p.status, status) << code;
        EXPECT_FALSE(p.title.empty()) << code;
    }
}

TEST(GatewayProblem, UnknownCodeFallsBackToInternalError) {
    EXPECT_EQ(gateway_problem("sold_out").code,
              "internal_error");  // an outcome, not a gateway code
    EXPECT_EQ(gateway_problem("no_such_thing").status, 500);
}

TEST(ProblemFor, DecodeErrorsMapByStatus) {
    EXPECT_EQ(problem_for(decode_error{400, "malformed_json", "trailing_content", "", "x"}).title,
              "Malformed JSON");
    EXPECT_EQ(problem_for(decode_error{422, "invalid_request", "wrong_type", "/a", "x"}).title,
              "Invalid request");
}

TEST(WriteProblem, BodyHasTheRfc9457MembersAndOmitsEmptyExtras) {
    std::string out;
    write_problem(out, problem_for(outcome::sold_out),
                  {.detail = "sku \"k1\" has 0 left", .request_id = "r-1", .sku_id = "k1"});
    const auto body = nlohmann::json::parse(out);
    EXPECT_EQ(body.at("type"), "/problems/sold_out");
    EXPECT_EQ(body.at("title"), "Sold out");
    EXPECT_EQ(body.at("status"), 409);
    EXPECT_EQ(body.at("code"), "sold_out");
    EXPECT_EQ(body.at("detail"), "sku \"k1\" has 0 left");
    EXPECT_EQ(body.at("request_id"), "r-1");
    EXPECT_EQ(body.at("sku_id"), "k1");
    EXPECT_FALSE(body.contains("pointer"));
    EXPECT_FALSE(body.contains("reason"));
    EXPECT_FALSE(body.contains("instance"));
    EXPECT_EQ(out.find("{\"type\":"), 0u);
}

TEST(WriteProblem, DecodeErrorCarriesPointerAndReason) {
    request_decoder decoder;
    matching::sku_spec spec;
    const auto error = decoder.decode_sku_spec(R"({"stock":"many"})", spec);
    ASSERT_TRUE(error);
    std::string out;
    write_problem(out, problem_for(*error),
                  {.detail = error->detail, .pointer = error->pointer, .reason = error->reason});
    const auto body = nlohmann::json::parse(out);
    EXPECT_EQ(body.at("status"), 422);
    EXPECT_EQ(body.at("code"), "invalid_request");
    EXPECT_EQ(body.at("pointer"), "/stock");
    EXPECT_EQ(body.at("reason"), "wrong_type");
    EXPECT_EQ(body.at("detail"), "stock must be an integer from 0 to 1000000000");
    EXPECT_EQ(body.at("request_id"), "");
}

}  // namespace
}  // namespace fg::gateway
