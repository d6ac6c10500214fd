#include "tsdb/log_env.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace mh::tsdb {
namespace {

class PosixLogEnv final : public LogEnv {
  public:
    int Open(const char* path, int flags, mode_t mode) override { return ::open(path, flags, mode); }
    int OpenAt(int dir_fd, const char* name, int flags, mode_t mode) override {
        return ::openat(dir_fd, name, flags, mode);
    }
    int Flock(int fd, int operation) override { return ::flock(fd, operation); }
    ssize_t PRead(int fd, void* buffer, std::size_t size, off_t offset) override {
        return ::pread(fd, buffer, size, offset);
    }
    ssize_t PWrite(int fd, const void* data, std::size_t size, off_t offset) override {
        return ::pwrite(fd, data, size, offset);
    }
    int FDataSync(int fd) override { return ::fdatasync(fd); }
    int FSync(int fd) override { return ::fsync(fd); }
    int FTruncate(int fd, off_t length) override { return ::ftruncate(fd, length); }
    int FStat(int fd, struct stat* out) override { return ::fstat(fd, out); }
    int UnlinkAt(int dir_fd, const char* name, int flags) override { return ::unlinkat(dir_fd, name, flags); }
};

}  // namespace

LogEnv& LogEnv::Default() {
    static PosixLogEnv env;  // stateless
    return env;
}

}  // namespace mh::tsdb
