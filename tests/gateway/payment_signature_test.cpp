#include "gateway/payment_signature.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace fg::gateway {
namespace {

constexpr std::string_view secret = "whsec_test";
constexpr std::string_view body = R"({"order_id":"o1"})";
constexpr std::int64_t t0 = 1'700'000'000;

std::string to_hex(const hmac_sha256_digest& mac, std::size_t bytes = 32) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        out += digits[mac[i] >> 4];
        out += digits[mac[i] & 0xf];
    }
    return out;
}

std::string v1_of(const std::string& header) { return header.substr(header.find("v1=") + 3); }

std::uint64_t seed_from_env() {
    const char* fixed = std::getenv("FG_SEED");
    const std::uint64_t seed =
        fixed != nullptr ? std::strtoull(fixed, nullptr, 10) : std::random_device{}();
    std::printf("PaymentSignature seed: FG_SEED=%llu\n", static_cast<unsigned long long>(seed));
    return seed;
}

TEST(HmacSha256, Rfc4231TestVectors) {
    struct vector {
        std::string key, data, mac_hex;
    };
    std::string key4;
    for (char c = 1; c <= 25; ++c) key4 += c;
    const vector vectors[] = {
        {std::string(20, '\x0b'), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {std::string(20, '\xaa'), std::string(50, '\xdd'),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {key4, std::string(50, '\xcd'),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
        {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {std::string(131, '\xaa'),
         "This is a test using a larger than block-size key and a larger than block-size data. "
         "The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (const vector& v : vectors) {
        EXPECT_EQ(to_hex(hmac_sha256(v.key, v.data)), v.mac_hex) << v.data;
    }
    // Test case 5 is truncated to 128 bits.
    EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0c'), "Test With Truncation"), 16),
              "a3b6167473100ee06e0c796c2955552b");
    // An empty key is legal HMAC (value from Python's hmac module).
    EXPECT_EQ(to_hex(hmac_sha256("", "")),
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(PaymentSignature, SignProducesTheDocumentedHeader) {
    // Expected MAC computed independently with Python's hmac over "1700000000.<body>".
    EXPECT_EQ(sign_payment(body, secret, t0),
              "t=1700000000,v1=7c8e9e2520a755f35fd52460ca1a280fc072ea01e2912142c3306a12c4e30986");
}

TEST(PaymentSignature, SignThenVerifyRoundTrips) {
    for (std::string_view b : {std::string_view{}, body, std::string_view("x\0y", 3)}) {
        EXPECT_EQ(verify_payment_signature(sign_payment(b, secret, t0), b, secret, t0),
                  signature_check::ok);
    }
}

TEST(PaymentSignature, AbsentOrBlankHeaderIsMissing) {
    EXPECT_EQ(verify_payment_signature("", body, secret, t0), signature_check::missing);
    EXPECT_EQ(verify_payment_signature(" \t ", body, secret, t0), signature_check::missing);
}

TEST(PaymentSignature, BadHeadersAreMalformed) {
    const std::string hex = v1_of(sign_payment(body, secret, t0));
    const std::string bad[] = {
        "t=1700000000",                            // no v1
        "v1=" + hex,                               // no t
        "t=,v1=" + hex,                            // empty t
        "t=17000x0000,v1=" + hex,                  // not decimal
        "t=-1700000000,v1=" + hex,                 // signed
        "t=+1700000000,v1=" + hex,                 // signed
        "t=1234567890123456789,v1=" + hex,         // 19 digits
        "t=1700000000,t=1700000000,v1=" + hex,     // two timestamps
        "t=1700000000,v1=" + hex.substr(1),        // 63 hex digits
        "t=1700000000,v1=" + hex + "0",            // 65 hex digits
        "t=1700000000,v1=" + hex.substr(1) + "g",  // not hex
        "t=1700000000,v1=" + hex + ",v1=",         // one empty v1
        "t=1700000000,v1=" + hex + ",garbage",     // pair without '='
        "t=1700000000,v1=" + hex + ",=x",          // empty key
        "t 1700000000 v1 " + hex,                  // no separators
    };
    for (const std::string& h : bad) {
        EXPECT_EQ(verify_payment_signature(h, body, secret, t0), signature_check::malformed) << h;
    }
}

TEST(PaymentSignature, HeaderOverOneKibIsMalformedEvenIfValid) {
    const std::string signed_header = sign_payment(body, secret, t0);
    std::string at_cap = signed_header + ",pad=";
    at_cap.resize(payment_signature_header_max, 'p');
    EXPECT_EQ(verify_payment_signature(at_cap, body, secret, t0), signature_check::ok);
    EXPECT_EQ(verify_payment_signature(at_cap + "p", body, secret, t0), signature_check::malformed);
}

TEST(PaymentSignature, WindowEdgesAreInclusive) {
    const std::string h = sign_payment(body, secret, t0);
    EXPECT_EQ(verify_payment_signature(h, body, secret, t0 + 300), signature_check::ok);
    EXPECT_EQ(verify_payment_signature(h, body, secret, t0 - 300), signature_check::ok);
    EXPECT_EQ(verify_payment_signature(h, body, secret, t0 + 301), signature_check::stale);
    EXPECT_EQ(verify_payment_signature(h, body, secret, t0 - 301), signature_check::stale);
    EXPECT_EQ(verify_payment_signature(h, body, secret, t0 + 10, 10), signature_check::ok);
    EXPECT_EQ(verify_payment_signature(h, body, secret, t0 + 11, 10), signature_check::stale);
}

TEST(PaymentSignature, ExtremeClockValuesAreStaleNotUndefined) {
    const std::string h = sign_payment(body, secret, t0);
    EXPECT_EQ(verify_payment_signature(h, body, secret, INT64_MIN), signature_check::stale);
    EXPECT_EQ(verify_payment_signature(h, body, secret, INT64_MAX), signature_check::stale);
    const std::string big = "t=999999999999999999,v1=" + v1_of(h);
    EXPECT_EQ(verify_payment_signature(big, body, secret, INT64_MIN), signature_check::stale);
}

TEST(PaymentSignature, StaleIsReportedBeforeMismatch) {
    EXPECT_EQ(verify_payment_signature(sign_payment(body, "other", t0), body, secret, t0 + 301),
              signature_check::stale);
}

TEST(PaymentSignature, WrongSecretOrEmptySecretIsMismatch) {
    EXPECT_EQ(verify_payment_signature(sign_payment(body, "other", t0), body, secret, t0),
              signature_check::mismatch);
    EXPECT_EQ(verify_payment_signature(sign_payment(body, "", t0), body, "", t0),
              signature_check::mismatch);
}

TEST(PaymentSignature, SignedTimestampCannotBeSwapped) {
    // The MAC covers t: the same v1 under another (fresh) timestamp does not verify.
    const std::string hex = v1_of(sign_payment(body, secret, t0));
    EXPECT_EQ(verify_payment_signature("t=1700000001,v1=" + hex, body, secret, t0),
              signature_check::mismatch);
}

TEST(PaymentSignature, EveryOneBitChangeOfBodyIsMismatch) {
    const std::string h = sign_payment(body, secret, t0);
    for (std::size_t i = 0; i < body.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string changed(body);
            changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
            EXPECT_EQ(verify_payment_signature(h, changed, secret, t0), signature_check::mismatch)
                << "byte " << i << " bit " << bit;
        }
    }
}

TEST(PaymentSignature, EveryOneBitChangeOfMacIsMismatch) {
    const hmac_sha256_digest mac = hmac_sha256(secret, "1700000000." + std::string(body));
    for (std::size_t i = 0; i < mac.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            hmac_sha256_digest changed = mac;
            changed[i] = static_cast<unsigned char>(changed[i] ^ (1 << bit));
            const std::string h = "t=1700000000,v1=" + to_hex(changed);
            EXPECT_EQ(verify_payment_signature(h, body, secret, t0), signature_check::mismatch)
                << "byte " << i << " bit " << bit;
        }
    }
    EXPECT_EQ(verify_payment_signature("t=1700000000,v1=" + to_hex(mac), body, secret, t0),
              signature_check::ok);
}

TEST(PaymentSignature, AnyMatchingV1AmongSeveralIsOk) {
    // Key rotation: the payment service signs with the old and the new secret at once.
    const std::string old_hex = v1_of(sign_payment(body, "old-secret", t0));
    const std::string new_hex = v1_of(sign_payment(body, "new-secret", t0));
    const std::string both = "t=1700000000,v1=" + old_hex + ",v1=" + new_hex;
    EXPECT_EQ(verify_payment_signature(both, body, "old-secret", t0), signature_check::ok);
    EXPECT_EQ(verify_payment_signature(both, body, "new-secret", t0), signature_check::ok);
    EXPECT_EQ(verify_payment_signature(both, body, "third-secret", t0), signature_check::mismatch);
    // Fourteen entries beside a real timestamp fit in 1 KiB; the matching one last.
    std::string many = "t=1700000000";
    for (int i = 0; i < 13; ++i) many += ",v1=" + old_hex;
    many += ",v1=" + new_hex;
    ASSERT_LE(many.size(), payment_signature_header_max);
    EXPECT_EQ(verify_payment_signature(many, body, "new-secret", t0), signature_check::ok);
}

TEST(PaymentSignature, OrderCaseWhitespaceAndUnknownKeysAreTolerated) {
    std::string hex = v1_of(sign_payment(body, secret, t0));
    std::string upper = hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string ok[] = {
        "v1=" + hex + ",t=1700000000",    " t = 1700000000 ,\tv1=" + hex + " ",
        "t=1700000000,v1=" + upper,       "v0=deadbeef,t=1700000000,scheme=x=y,v1=" + hex,
        ",t=1700000000,,v1=" + hex + ",",
    };
    for (const std::string& h : ok) {
        EXPECT_EQ(verify_payment_signature(h, body, secret, t0), signature_check::ok) << h;
    }
    // Leading zeros are part of what was signed: a header re-written without them fails.
    const std::string padded = sign_payment(body, secret, t0);
    EXPECT_EQ(verify_payment_signature("t=01700000000,v1=" + v1_of(padded), body, secret, t0),
              signature_check::mismatch);
}

TEST(PaymentSignature, CheckNamesAreStable) {
    EXPECT_EQ(to_string(signature_check::ok), "ok");
    EXPECT_EQ(to_string(signature_check::missing), "missing");
    EXPECT_EQ(to_string(signature_check::malformed), "malformed");
    EXPECT_EQ(to_string(signature_check::stale), "stale");
    EXPECT_EQ(to_string(signature_check::mismatch), "mismatch");
}

// Random headers built from the parser's own vocabulary, so that most reach deep into it. None
// may crash or verify. Prints its seed; FG_SEED=<n> reproduces a run.
TEST(PaymentSignatureFuzz, RandomHeadersNeverCrashAndNeverVerify) {
    const std::uint64_t seed = seed_from_env();
    std::mt19937_64 rng(seed);
    const std::string real_hex = v1_of(sign_payment(body, secret, t0));
    const std::string_view tokens[] = {"t=",
                                       "v1=",
                                       "1700000000",
                                       ",",
                                       " ",
                                       "=",
                                       "\t",
                                       "v0=",
                                       "0",
                                       "f",
                                       "F",
                                       "-",
                                       std::string_view("\0", 1),
                                       "\xff",
                                       real_hex,
                                       "t=1700000000,"};
    std::uniform_int_distribution<std::size_t> pick_token(0, std::size(tokens) - 1);
    std::uniform_int_distribution<int> pick_byte(0, 255);
    std::uniform_int_distribution<int> pick_len(0, 80);
    for (int round = 0; round < 5000; ++round) {
        std::string h;
        const int parts = pick_len(rng);
        for (int i = 0; i < parts; ++i) {
            if (rng() % 4 == 0) {
                h += static_cast<char>(pick_byte(rng));
            } else {
                h += tokens[pick_token(rng)];
            }
        }
        // The vocabulary holds the genuine t and MAC, so a header may happen to be genuine:
        // then, and only then, may it verify.
        const signature_check got = verify_payment_signature(h, body, secret, t0);
        if (got == signature_check::ok) {
            EXPECT_NE(h.find("v1=" + real_hex), std::string::npos) << "seed " << seed;
        }
        ASSERT_LE(static_cast<int>(got), static_cast<int>(signature_check::mismatch));
    }
    // Pure noise, up to twice the cap: never ok.
    for (int round = 0; round < 3000; ++round) {
        std::string h(static_cast<std::size_t>(pick_len(rng)) * 25, '\0');
        for (char& c : h) c = static_cast<char>(pick_byte(rng));
        EXPECT_NE(verify_payment_signature(h, body, secret, t0), signature_check::ok)
            << "seed " << seed;
    }
}

}  // namespace
}  // namespace fg::gateway
