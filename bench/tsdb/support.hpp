// What every part of tsdb_bench shares: the time constants the generated series are laid out on, steady-clock
// timing helpers, Failure and Must (a benchmark that cannot do what it measures stops loudly), the run's Options
// (parsed in main.cpp), nearest-rank percentiles of timings, and TempDir, a scratch directory deleted with its owner.
// The functions are thread-safe; an Options or TempDir object belongs to the thread that uses it.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace mh::bench {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kYearMs = 365 * kDayMs;
constexpr std::int64_t kT0 = 1'735'689'600'000;  // 2025-01-01T00:00:00Z: where every generated series starts

double Seconds(SteadyClock::duration d);
double Ms(SteadyClock::duration d);

// ---- Failures: a benchmark that cannot do what it measures stops loudly ----

class Failure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

template <class T>
T Must(Result<T> result, std::string_view what) {
    if (!result) throw Failure(fmt::format("{}: {}", what, result.error().message));
    return std::move(*result);
}

void Must(const Status& status, std::string_view what);

// ---- Options (parsed by ParseOptions in main.cpp) ----

struct Options {
    double scale = 1.0;  // multiplies every sample and row count (not the series counts)
    bool quick = false;
    std::string json_path = "tsdb_bench.json";
    fs::path tmp = fs::temp_directory_path();
    std::set<std::string> only;  // empty: everything
    int producers = 4;
    std::size_t batch = 5000;
    int in_flight = 4;  // batches per producer waiting for their ack
    int query_reps = 200;

    bool Runs(const std::string& part) const { return only.empty() || only.contains(part); }
    std::int64_t Scaled(std::int64_t n, std::int64_t at_least = 1) const {
        return std::max(at_least, static_cast<std::int64_t>(std::llround(static_cast<double>(n) * scale)));
    }
};

// ---- Percentiles ----

struct Percentiles {
    double p50 = 0;
    double p99 = 0;
    double max = 0;
};

Percentiles Summarise(std::vector<double> v);

// ---- Scratch directories ----

// A fresh directory `<root>/meterhub-bench-<pid>-<n>-<name>`, removed with everything in it on destruction.
class TempDir {
  public:
    TempDir(const fs::path& root, const std::string& name);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

}  // namespace mh::bench
