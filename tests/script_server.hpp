// A test server written in Python (tests/servers/*.py), run by Debian's python3 (MH_TEST_PYTHON, which has
// python3-aiosmtpd) as a child process: started once, killed when the object dies.
//
// The protocol on its standard output: "key value" lines (ports, file paths), then "ready"; after that one line
// per event (the SMTP server prints each message it accepted as JSON). A reader thread collects the lines.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"
#include "test_support.hpp"

namespace mh::testing {

class ScriptServer {
  public:
    // Runs tests/servers/<script> with `args`; waits (at most 30 s) for its "ready" line.
    ScriptServer(const std::string& script, std::vector<std::string> args) {
        args.insert(args.begin(), SourceDir() + "/tests/servers/" + script);
        process_ = std::make_unique<Background>(std::move(args), MH_TEST_PYTHON);
        reader_ = std::thread([this] { Read(); });
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, std::chrono::seconds(30), [&] { return ready_ || ended_; }) || !ready_) {
            ADD_FAILURE() << script << " did not start (are python3 and python3-aiosmtpd installed?)";
        }
    }
    ~ScriptServer() {
        process_->Stop(SIGKILL);  // the pipe closes, so the reader sees the end
        reader_.join();
    }
    ScriptServer(const ScriptServer&) = delete;
    ScriptServer& operator=(const ScriptServer&) = delete;

    bool ready() const {
        std::lock_guard lock(mutex_);
        return ready_;
    }
    // A "key value" line printed before "ready"; empty when there was none.
    std::string Value(const std::string& key) const {
        std::lock_guard lock(mutex_);
        auto it = values_.find(key);
        return it == values_.end() ? "" : it->second;
    }
    std::uint16_t Port(const std::string& key) const {
        const std::string value = Value(key);
        return value.empty() ? 0 : static_cast<std::uint16_t>(std::stoi(value));
    }
    // Waits (bounded) until at least `n` event lines arrived; returns all that did.
    std::vector<std::string> WaitForEvents(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, limit, [&] { return events_.size() >= n || ended_; });
        return events_;
    }
    std::size_t event_count() const {
        std::lock_guard lock(mutex_);
        return events_.size();
    }

  private:
    void Read() {
        while (auto line = process_->ReadLine()) {
            std::lock_guard lock(mutex_);
            if (ready_) {
                events_.push_back(*line);
            } else if (*line == "ready") {
                ready_ = true;
            } else if (const auto space = line->find(' '); space != std::string::npos) {
                values_[line->substr(0, space)] = line->substr(space + 1);
            }
            changed_.notify_all();
        }
        std::lock_guard lock(mutex_);
        ended_ = true;
        changed_.notify_all();
    }

    std::unique_ptr<Background> process_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool ready_ = false;
    bool ended_ = false;
    std::map<std::string, std::string> values_;
    std::vector<std::string> events_;
};

}  // namespace mh::testing
