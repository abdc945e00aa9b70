#pragma once

// A move-only type-erased callable. Messages between shards carry move-only state (orders,
// replies that must run exactly once), which std::function cannot hold. One heap allocation per
// callable; jemalloc's thread caches make that cheap, and the hand-off queue moves a pointer.

#include <memory>
#include <type_traits>
#include <utility>

namespace fg::matching {

template <class Signature>
class unique_function;

template <class R, class... Args>
class unique_function<R(Args...)> {
 public:
    unique_function() = default;

    template <class F>
    requires(!std::is_same_v<std::decay_t<F>, unique_function> &&
             std::is_invocable_r_v<R, F&, Args...>)
        unique_function(F&& f)  // NOLINT(google-explicit-constructor): used like std::function
        : impl_(std::make_unique<model<std::decay_t<F>>>(std::forward<F>(f))) {}

    unique_function(unique_function&&) noexcept = default;
    unique_function& operator=(unique_function&&) noexcept = default;

    explicit operator bool() const { return impl_ != nullptr; }
    R operator()(Args... args) { return impl_->call(std::forward<Args>(args)...); }

 private:
    struct concept_t {
        virtual ~concept_t() = default;
        virtual R call(Args... args) = 0;
    };
    template <class F>
    struct model final : concept_t {
        explicit model(F&& f) : fn(std::move(f)) {}
        explicit model(const F& f) : fn(f) {}
        R call(Args... args) override { return fn(std::forward<Args>(args)...); }
        F fn;
    };
    std::unique_ptr<concept_t> impl_;
};

using task = unique_function<void()>;

}  // namespace fg::matching
