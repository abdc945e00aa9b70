// Randomised mutation of valid bodies. Prints its seed; FG_SEED=<n> reproduces a run and
// FG_FUZZ_ITERATIONS=<n> makes it longer.

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "gateway/codec/request_decoder.hpp"

namespace fg::gateway {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

const std::string seeds[] = {
    R"({"buyer_id":"b-1","items":[{"sku_id":"sku-1","qty":2},{"sku_id":"sku-2","qty":1}],)"
    R"("payment_method":"alipay","contact":{"name":"张三","phone":"+86 138","address":"Road 1"}})",
    R"({"name":"Lipstick","price":{"amount_minor":9900,"currency":"CNY"},"stock":500,)"
    R"("per_buyer_limit":2,"sale":{"starts_at":"2026-11-11T00:00:00+08:00","ends_at":null},)"
    R"("low_stock_threshold":20,"status":"listed"})",
    R"({"skus":[{"sku_id":"a","stock":1},{"sku_id":"b","sale":null,"name":"B\u00e9"}]})",
    R"({"delta":-42})",
    R"({"order_id":"o00000000000012ab","provider_txn_id":"txn-1","status":"succeeded",)"
    R"("amount":{"amount_minor":9900,"currency":"CNY"}})",
    R"({"carrier":"SF","tracking_no":"SF123","reason":"note","restock":true})",
    R"({"ip":"10.0.0.0/8","blocked":true})",
};
// Index of the move seed: its decoder takes an empty body as {}.
constexpr std::size_t move_seed = 5;

// Bytes a mutation inserts: JSON punctuation and the odd bytes that break decoders.
const std::string alphabet =
    std::string("{}[]\",:\\ 0123456789-+.eEtrufalsn\x01\x7f\xc3\xa9\xff") + std::string(1, '\0');

std::string mutate(std::string body, std::mt19937_64& rng) {
    const auto pick = [&](std::size_t n) {
        return n == 0 ? 0 : static_cast<std::size_t>(rng() % n);
    };
    const std::size_t rounds = 1 + pick(4);
    for (std::size_t r = 0; r < rounds; ++r) {
        const std::size_t at = pick(body.size() + 1);
        switch (pick(6)) {
            case 0:  // flip one byte to a random value
                if (at < body.size()) body[at] = static_cast<char>(rng());
                break;
            case 1:
                body.insert(at, 1, alphabet[pick(alphabet.size())]);
                break;
            case 2:
                body.erase(at, 1 + pick(8));
                break;
            case 3: {  // duplicate a slice (repeated keys, items, nesting)
                const std::size_t from = pick(body.size());
                body.insert(at, body.substr(from, 1 + pick(40)));
                break;
            }
            case 4:
                body.resize(at);
                break;
            default:  // replace a byte with a JSON-significant one
                if (at < body.size()) body[at] = alphabet[pick(alphabet.size())];
                break;
        }
    }
    return body;
}

// JSON by the grammar. nlohmann refuses numbers past the double range (9e900), which the grammar
// allows and the decoder treats as JSON of the wrong type; so shrink exponents first.
bool is_json(const std::string& body) {
    if (nlohmann::json::accept(body)) return true;
    std::string shrunk;
    for (std::size_t i = 0; i < body.size(); ++i) {
        shrunk.push_back(body[i]);
        const bool exponent =
            (body[i] == 'e' || body[i] == 'E') && i > 0 && body[i - 1] >= '0' && body[i - 1] <= '9';
        if (!exponent) continue;
        std::size_t j = i + 1;
        if (j < body.size() && (body[j] == '+' || body[j] == '-')) shrunk.push_back(body[j++]);
        const std::size_t digits_start = j;
        while (j < body.size() && body[j] >= '0' && body[j] <= '9') ++j;
        if (j == digits_start) continue;
        shrunk.push_back('1');
        i = j - 1;
    }
    return nlohmann::json::accept(shrunk);
}

std::optional<decode_error> decode_any(request_decoder& decoder, std::size_t kind,
                                       const std::string& body) {
    switch (kind) {
        case 0: {
            matching::order_request out;
            return decoder.decode_order(body, out);
        }
        case 1: {
            matching::sku_spec out;
            return decoder.decode_sku_spec(body, out);
        }
        case 2: {
            std::vector<std::pair<std::string, matching::sku_spec>> out;
            return decoder.decode_sku_batch(body, out);
        }
        case 3: {
            std::int64_t out = 0;
            return decoder.decode_stock_delta(body, out);
        }
        case 4: {
            payment_body out;
            return decoder.decode_payment(body, out);
        }
        case move_seed: {
            move_body out;
            const unsigned all = move_field::carrier | move_field::tracking_no |
                                 move_field::reason | move_field::restock;
            return decoder.decode_move(body, all, 0, out);
        }
        default: {
            matching::block_changed out;
            return decoder.decode_block_change(body, out);
        }
    }
}

TEST(RequestDecoderFuzz, MutatedBodiesAreDecodedOrRefusedNeverCrashed) {
    const std::uint64_t seed = env_or("FG_SEED", std::random_device{}());
    const std::uint64_t iterations = env_or("FG_FUZZ_ITERATIONS", 20'000);
    std::printf("RequestDecoderFuzz seed: FG_SEED=%llu\n", static_cast<unsigned long long>(seed));
    std::mt19937_64 rng(seed);
    request_decoder decoder;  // one decoder throughout, as on a shard
    std::size_t accepted = 0;
    for (std::uint64_t i = 0; i < iterations; ++i) {
        const std::size_t kind = static_cast<std::size_t>(rng() % std::size(seeds));
        const std::string body = mutate(seeds[kind], rng);
        const auto error = decode_any(decoder, kind, body);
        if (!error) {
            ++accepted;
            // Whatever the decoder accepts must be JSON by another parser's judgement.
            ASSERT_TRUE(is_json(body) || (kind == move_seed && body.empty()))
                << "FG_SEED=" << seed << " body: " << body;
            continue;
        }
        ASSERT_TRUE(error->status == 400 || error->status == 422) << "FG_SEED=" << seed;
        ASSERT_EQ(error->code, error->status == 400 ? "malformed_json" : "invalid_request");
        ASSERT_FALSE(error->reason.empty()) << "FG_SEED=" << seed << " body: " << body;
        ASSERT_FALSE(error->detail.empty()) << "FG_SEED=" << seed << " body: " << body;
        if (error->status == 400 && body.find('\0') == std::string::npos) {
            // And a body refused as malformed is not JSON by the other parser either (which
            // takes a NUL for the end of its input, hence the exception).
            ASSERT_FALSE(is_json(body))
                << "FG_SEED=" << seed << " reason " << error->reason << " body: " << body;
        }
        if (error->status == 422 && error->reason != "too_deep") {
            // A schema complaint is only made about a body that is JSON.
            ASSERT_TRUE(is_json(body))
                << "FG_SEED=" << seed << " reason " << error->reason << " body: " << body;
        }
    }
    std::printf("RequestDecoderFuzz: %zu of %llu mutations accepted\n", accepted,
                static_cast<unsigned long long>(iterations));
}

}  // namespace
}  // namespace fg::gateway
