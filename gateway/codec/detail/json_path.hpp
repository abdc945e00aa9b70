#pragma once

// Where in a request body the decoder is, for the pointer and the sentence of a refusal.

#include <cstddef>
#include <string>
#include <string_view>

namespace fg::gateway::detail {

// Stack-local: a JSON pointer built link by link as the decoder descends, each link living in the
// caller's frame. Rendered into text only when a body is refused, so the happy path never
// formats a path.
class json_path {
 public:
    json_path() = default;  // the whole body
    json_path(const json_path& parent, std::string_view key)
        : parent_(&parent), key_(key), is_index_(false) {}
    json_path(const json_path& parent, std::size_t index)
        : parent_(&parent), index_(index), is_index_(true) {}

    std::string pointer() const;  // "/items/3/qty" (RFC 6901: '~' -> "~0", '/' -> "~1")
    std::string dotted() const;   // "items[3].qty", or "the body" for the root

 private:
    void append_pointer(std::string& out) const;
    void append_dotted(std::string& out) const;

    const json_path* parent_ = nullptr;
    std::string_view key_;
    std::size_t index_ = 0;
    bool is_index_ = false;
};

}  // namespace fg::gateway::detail
