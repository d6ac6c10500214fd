// FaultLogEnv: the real file operations of the sample log, except those a test tells to fail (with EIO), and a
// count of each call. Thread-safe (atomics): the engine's writer thread calls it while the test sets faults.
#pragma once

#include <atomic>
#include <cerrno>

#include "tsdb/log_env.hpp"

namespace mh::tsdb {

class FaultLogEnv : public LogEnvWrapper {
  public:
    FaultLogEnv() : LogEnvWrapper(LogEnv::Default()) {}

    // How many of the next calls fail: 0 none, -1 all from now on.
    std::atomic<int> fail_fdatasync{0};
    std::atomic<int> fail_ftruncate{0};

    std::atomic<int> fdatasyncs{0};
    std::atomic<int> pwrites{0};
    std::atomic<int> preads{0};

    int FDataSync(int fd) override {
        ++fdatasyncs;
        return Fails(fail_fdatasync) ? -1 : LogEnvWrapper::FDataSync(fd);
    }
    int FTruncate(int fd, off_t length) override {
        return Fails(fail_ftruncate) ? -1 : LogEnvWrapper::FTruncate(fd, length);
    }
    ssize_t PWrite(int fd, const void* data, std::size_t size, off_t offset) override {
        ++pwrites;
        return LogEnvWrapper::PWrite(fd, data, size, offset);
    }
    ssize_t PRead(int fd, void* buffer, std::size_t size, off_t offset) override {
        ++preads;
        return LogEnvWrapper::PRead(fd, buffer, size, offset);
    }

  private:
    static bool Fails(std::atomic<int>& budget) {
        int left = budget.load();
        while (left != 0) {
            if (left < 0 || budget.compare_exchange_weak(left, left - 1)) {
                errno = EIO;
                return true;
            }
        }
        return false;
    }
};

}  // namespace mh::tsdb
