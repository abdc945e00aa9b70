#include "storage/kept_mappings.hpp"

#include "storage/detail/mapped_file.hpp"

namespace fg::storage {

kept_mappings::kept_mappings() = default;
kept_mappings::~kept_mappings() = default;

void kept_mappings::keep(std::unique_ptr<detail::mapped_file> file) {
    bytes_ += file->bytes().size();
    files_.push_back(std::move(file));
}

}  // namespace fg::storage
