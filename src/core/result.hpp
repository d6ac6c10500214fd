// Result<T>: the value of an operation that can fail in an expected way, or the Error that says why.
//
// Expected failures (bad input, missing rows, overload) travel as Result; exceptions are kept for bugs and
// fatal start-up problems (see docs/design.md, "Error policy"). Shaped like C++23 std::expected so that
// call sites read the same once the toolchain has it.
#pragma once

#include <cassert>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace mh {

// Error categories. One table (web layer, later) maps each to an HTTP status and API error code.
enum class Errc {
    kInvalidArgument,     // the caller's input is malformed or out of range
    kNotFound,            // no such thing in this tenant (also used instead of "forbidden" to hide existence)
    kAlreadyExists,       // a unique name, serial or e-mail is taken
    kPermissionDenied,    // authenticated, but the role does not allow it
    kUnauthenticated,     // no or bad credentials
    kResourceExhausted,   // a bounded queue or quota is full; retry later
    kUnavailable,         // a dependency (database, broker) cannot be reached
    kFailedPrecondition,  // the system is not in a state that allows it (e.g. database locked by another serve)
    kDataLoss,            // stored data failed a checksum or cannot be decoded
    kNotImplemented,      // says so loudly instead of pretending
    kInternal,            // a bug or an unexpected library failure
};

const char* ErrcName(Errc code) noexcept;

struct Error {
    Errc code = Errc::kInternal;
    std::string message;

    friend bool operator==(const Error&, const Error&) = default;
};

inline Error MakeError(Errc code, std::string message) {
    return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
  public:
    using value_type = T;

    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)
    template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, Error> && !std::is_same_v<std::remove_cvref_t<U>, Result>)
        Result(U&& value)
        : state_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return Checked(); }
    const T& value() const& { return const_cast<Result*>(this)->Checked(); }
    T&& value() && { return std::move(Checked()); }
    T& operator*() & { return Checked(); }
    const T& operator*() const& { return const_cast<Result*>(this)->Checked(); }
    T&& operator*() && { return std::move(Checked()); }
    T* operator->() { return &Checked(); }
    const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }

    const Error& error() const& {
        assert(!has_value());
        return std::get<1>(state_);
    }
    Error&& error() && {
        assert(!has_value());
        return std::get<1>(std::move(state_));
    }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    T& Checked() {
        if (!has_value()) throw std::logic_error("Result accessed without value: " + std::get<1>(state_).message);
        return std::get<0>(state_);
    }

    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    void value() const {
        if (error_) throw std::logic_error("Result<void> holds an error: " + error_->message);
    }
    const Error& error() const& {
        assert(error_);
        return *error_;
    }
    Error&& error() && {
        assert(error_);
        return std::move(*error_);
    }

  private:
    std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() {
    return {};
}

}  // namespace mh

#define MH_CONCAT_INNER(a, b) a##b
#define MH_CONCAT(a, b) MH_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result) from the enclosing function, which must return a Result.
#define MH_RETURN_IF_ERROR(expr)                     \
    do {                                             \
        if (auto mh_status_ = (expr); !mh_status_) { \
            return std::move(mh_status_).error();    \
        }                                            \
    } while (false)

// `MH_ASSIGN_OR_RETURN(auto x, Compute());` declares x from the value or returns the error.
#define MH_ASSIGN_OR_RETURN(lhs, expr) MH_ASSIGN_OR_RETURN_IMPL(MH_CONCAT(mh_result_, __LINE__), lhs, expr)
#define MH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
    auto tmp = (expr);                           \
    if (!tmp) return std::move(tmp).error();     \
    lhs = std::move(*tmp)
