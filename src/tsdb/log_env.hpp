// LogEnv: the file operations of the sample log behind one seam, as leveldb's Env, so that a test can make any
// of them fail (fdatasync above all) and watch what the log and the engine do then.
//
// POSIX-shaped on purpose: each call is the system call of the same name, returns what it returns and sets
// errno, so the log reads as before and LogEnv::Default() is a thin forwarder. The log calls it once per
// write(), read, sync or file operation, never per sample, so the production path costs one virtual call more
// per group commit. LogEnvWrapper forwards every call to another LogEnv: a test derives from it and overrides
// the one call it wants to break (as leveldb's EnvWrapper).
//
// Only what the log uses, and not all of that: close() (its error changes nothing; durability comes from
// fdatasync), posix_fadvise() (a hint) and the directory listing and creation (std::filesystem, whose failures
// are already errors of their own) stay direct. Descriptors are real ones: a wrapper may fail a call, not
// invent files.
//
// Ownership: the log holds a reference; the env must outlive it. Thread-safety: Default() is stateless and may
// be used from any thread; a wrapper is as thread-safe as what it adds (the log calls from its owner's thread,
// Replay from any).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>

namespace mh::tsdb {

class LogEnv {
  public:
    virtual ~LogEnv() = default;

    // The real system calls.
    static LogEnv& Default();

    virtual int Open(const char* path, int flags, mode_t mode) = 0;
    virtual int OpenAt(int dir_fd, const char* name, int flags, mode_t mode) = 0;
    virtual int Flock(int fd, int operation) = 0;
    virtual ssize_t PRead(int fd, void* buffer, std::size_t size, off_t offset) = 0;
    virtual ssize_t PWrite(int fd, const void* data, std::size_t size, off_t offset) = 0;
    virtual int FDataSync(int fd) = 0;
    virtual int FSync(int fd) = 0;
    virtual int FTruncate(int fd, off_t length) = 0;
    virtual int FStat(int fd, struct stat* out) = 0;
    virtual int UnlinkAt(int dir_fd, const char* name, int flags) = 0;
};

// Forwards every call to `target`; override what a test should change.
class LogEnvWrapper : public LogEnv {
  public:
    explicit LogEnvWrapper(LogEnv& target) : target_(target) {}
    LogEnv& target() const { return target_; }

    int Open(const char* path, int flags, mode_t mode) override { return target_.Open(path, flags, mode); }
    int OpenAt(int dir_fd, const char* name, int flags, mode_t mode) override {
        return target_.OpenAt(dir_fd, name, flags, mode);
    }
    int Flock(int fd, int operation) override { return target_.Flock(fd, operation); }
    ssize_t PRead(int fd, void* buffer, std::size_t size, off_t offset) override {
        return target_.PRead(fd, buffer, size, offset);
    }
    ssize_t PWrite(int fd, const void* data, std::size_t size, off_t offset) override {
        return target_.PWrite(fd, data, size, offset);
    }
    int FDataSync(int fd) override { return target_.FDataSync(fd); }
    int FSync(int fd) override { return target_.FSync(fd); }
    int FTruncate(int fd, off_t length) override { return target_.FTruncate(fd, length); }
    int FStat(int fd, struct stat* out) override { return target_.FStat(fd, out); }
    int UnlinkAt(int dir_fd, const char* name, int flags) override { return target_.UnlinkAt(dir_fd, name, flags); }

  private:
    LogEnv& target_;
};

}  // namespace mh::tsdb
