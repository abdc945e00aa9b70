#include "loadtest/zipf_sampler.hpp"

#include <algorithm>
#include <cmath>

namespace fg::loadtest {

zipf_sampler::zipf_sampler(std::uint64_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
        sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
        cdf_[k] = sum;
    }
    for (double& c : cdf_) c /= sum;
}

std::uint64_t zipf_sampler::sample(double u) const {
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    if (it == cdf_.end()) return cdf_.size() - 1;
    return static_cast<std::uint64_t>(it - cdf_.begin());
}

double zipf_sampler::probability(std::uint64_t rank) const {
    return rank == 0 ? cdf_[0] : cdf_[rank] - cdf_[rank - 1];
}

}  // namespace fg::loadtest
