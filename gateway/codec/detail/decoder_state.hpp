#pragma once

// The parsing half of request_decoder: owns the simdjson parsers and the padded copy of the
// body, opens the root object, and turns a refusal into its final form by checking the body
// as a whole (malformed JSON and too-deep nesting outrank a schema complaint).

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "gateway/codec/detail/field_reader.hpp"

namespace fg::gateway::detail {

// Shard-local: owned by one request_decoder; every buffer is reused from body to body.
class decoder_state {
 public:
    explicit decoder_state(std::size_t nesting_depth_max);

    // Copies `body` into the padded buffer, starts On-Demand iteration and opens the root
    // object. An error returned here is final.
    decode_result open(std::string_view body, od::document& doc, od::object& root);
    // After the schema has read the root object: refuses trailing content, and explains any
    // refusal (`found`) against the whole body. The result is final.
    decode_result finish(od::document& doc, decode_result found);

    // Reusable index buffer for duplicate checks over large arrays.
    std::vector<std::uint32_t>& scratch() { return scratch_; }

 private:
    decode_error explain(decode_error found);
    simdjson::error_code validate(std::size_t length);

    std::size_t nesting_depth_max_;
    od::parser parser_;
    // Cold path only: the DOM parser checks the whole body (structure, depth) when a refusal
    // must be classified; On-Demand alone stops at the first member it dislikes.
    simdjson::dom::parser validator_;
    std::unique_ptr<char[]> padded_;
    std::size_t padded_capacity_ = 0;
    std::size_t length_ = 0;
    std::vector<std::uint32_t> scratch_;
};

}  // namespace fg::gateway::detail
