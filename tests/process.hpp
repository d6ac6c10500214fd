// Running the real meterhub binary from tests: to completion with captured output, or in the background
// with its standard output readable line by line.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace mh::testing {

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

namespace detail {
inline std::vector<char*> Argv(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return argv;
}
inline std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace detail

// Runs `meterhub args...` with `input` on stdin; waits for it.
inline RunResult RunMeterhub(std::vector<std::string> args, const std::string& input = "") {
    TempDir io;
    const std::string in_path = io.File("in"), out_path = io.File("out"), err_path = io.File("err");
    std::ofstream(in_path) << input;
    args.insert(args.begin(), MeterhubBinary());
    const pid_t pid = fork();
    if (pid == 0) {
        const int in = open(in_path.c_str(), O_RDONLY);
        const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        auto argv = detail::Argv(args);
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = detail::Slurp(out_path);
    result.err = detail::Slurp(err_path);
    return result;
}

// A meterhub process (or `program`) in the background; its stdout is read line by line.
class Background {
  public:
    explicit Background(std::vector<std::string> args, std::string program = "") {
        args.insert(args.begin(), program.empty() ? MeterhubBinary() : program);
        int fds[2];
        if (pipe(fds) != 0) return;
        pid_ = fork();
        if (pid_ == 0) {
            // Dies with the test process even when that crashes or is killed (a broker must not outlive it).
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
            auto argv = detail::Argv(args);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(fds[1]);
        out_ = fdopen(fds[0], "r");
    }
    ~Background() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_ != nullptr) fclose(out_);
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    // The next line of output, or nothing at end of file.
    std::optional<std::string> ReadLine() {
        char* line = nullptr;
        size_t size = 0;
        const ssize_t n = getline(&line, &size, out_);
        std::optional<std::string> result;
        if (n >= 0) result = std::string(line, static_cast<std::size_t>(n) - (n > 0 && line[n - 1] == '\n' ? 1 : 0));
        free(line);
        return result;
    }

    // Reads the output to its end and waits for the process to exit; returns the exit code (or 128 + signal).
    int Wait() {
        while (ReadLine()) {
        }
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    // Sends `signal` and waits; returns the exit code (or 128 + signal).
    int Stop(int signal) {
        kill(pid_, signal);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

  private:
    pid_t pid_ = -1;
    FILE* out_ = nullptr;
};

}  // namespace mh::testing
