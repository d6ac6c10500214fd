// Shared helpers for tests: temporary directories and the paths of the binary under test.
#pragma once

#include <date/date.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>

namespace mh::testing {

// Milliseconds since the epoch of a UTC time written "2027-06-01T04:00:00Z".
inline std::int64_t UtcMs(const char* text) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> t;
    in >> date::parse("%FT%TZ", t);
    return t.time_since_epoch().count();
}

// A fresh directory under the system temp dir, removed with everything in it when the object dies.
class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        std::random_device random;
        path_ = std::filesystem::temp_directory_path() / ("meterhub-test-" + std::to_string(::getpid()) + "-" +
                                                          std::to_string(counter++) + "-" + std::to_string(random()));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string File(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

// Polls `condition` until it holds or `limit` passes; for state that another process or thread reaches in its own
// time (a reconnect, an asynchronous write). Returns whether it held.
template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

inline std::string MeterhubBinary() {
    return MH_TEST_BINARY;
}
inline std::string SourceDir() {
    return MH_TEST_SOURCE_DIR;
}

}  // namespace mh::testing
