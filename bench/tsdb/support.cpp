// Definitions for support.hpp: timing helpers, Must for a Status, percentiles and the scratch directory.
#include "support.hpp"

#include <unistd.h>

#include <atomic>
#include <system_error>

namespace mh::bench {

double Seconds(SteadyClock::duration d) {
    return std::chrono::duration<double>(d).count();
}
double Ms(SteadyClock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

void Must(const Status& status, std::string_view what) {
    if (!status) throw Failure(fmt::format("{}: {}", what, status.error().message));
}

Percentiles Summarise(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto rank = [&](double p) {  // nearest rank
        const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
        return v[std::clamp<std::size_t>(i, 1, v.size()) - 1];
    };
    return Percentiles{rank(0.50), rank(0.99), v.back()};
}

TempDir::TempDir(const fs::path& root, const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = root / fmt::format("meterhub-bench-{}-{}-{}", ::getpid(), counter++, name);
    fs::remove_all(path_);
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace mh::bench
