#include "gateway/codec/detail/json_path.hpp"

namespace fg::gateway::detail {

void json_path::append_pointer(std::string& out) const {
    if (parent_ == nullptr) return;
    parent_->append_pointer(out);
    out.push_back('/');
    if (is_index_) {
        out.append(std::to_string(index_));
        return;
    }
    for (char c : key_) {
        if (c == '~') {
            out.append("~0");
        } else if (c == '/') {
            out.append("~1");
        } else {
            out.push_back(c);
        }
    }
}

void json_path::append_dotted(std::string& out) const {
    if (parent_ == nullptr) return;
    parent_->append_dotted(out);
    if (is_index_) {
        out.append("[").append(std::to_string(index_)).append("]");
        return;
    }
    if (parent_->parent_ != nullptr) out.push_back('.');
    out.append(key_);
}

std::string json_path::pointer() const {
    std::string out;
    append_pointer(out);
    return out;
}

std::string json_path::dotted() const {
    if (parent_ == nullptr) return "the body";
    std::string out;
    append_dotted(out);
    return out;
}

}  // namespace fg::gateway::detail
