// The Mosquitto broker shared by the MQTT client tests of one binary, started on first use and killed at exit:
// an anonymous listener, one that requires a password, and two TLS listeners (one also requires a client
// certificate), with a throwaway CA and certificates made by `openssl` in its temp dir. Plus the helpers the
// tests share: options, an inbox that records messages, and an executor that holds tasks until released.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/executor.hpp"
#include "mosquitto.hpp"
#include "net/mqtt_client.hpp"

namespace mh::net::testing {

using mh::testing::FreeLoopbackPort;
using mh::testing::MosquittoProcess;
using mh::testing::TempDir;
using mh::testing::WaitFor;

inline constexpr const char* kUser = "meter";
inline constexpr const char* kPassword = "correct horse";

inline bool Run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

class TestBroker {
  public:
    TestBroker() : auth_port_(FreeLoopbackPort()), tls_port_(FreeLoopbackPort()), cert_port_(FreeLoopbackPort()) {
        MakeCertificates();
        EXPECT_TRUE(Run("mosquitto_passwd -b -c " + files_.File("passwd") + " " + kUser + " '" + kPassword + "'"));
        // Mosquitto started as root reads these as the "mosquitto" user: throwaway files, readable by all.
        for (const auto& entry : std::filesystem::directory_iterator(files_.path())) {
            std::filesystem::permissions(entry.path(),
                                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                             std::filesystem::perms::group_read | std::filesystem::perms::others_read);
        }
        const std::string tls =
            "cafile " + File("ca.crt") + "\ncertfile " + File("server.crt") + "\nkeyfile " + File("server.key") + "\n";
        process_ = std::make_unique<MosquittoProcess>(
            "listener " + std::to_string(auth_port_) + " 127.0.0.1\nallow_anonymous false\npassword_file " +
            File("passwd") + "\n" +                                                                  //
            "listener " + std::to_string(tls_port_) + " 127.0.0.1\nallow_anonymous true\n" + tls +   //
            "listener " + std::to_string(cert_port_) + " 127.0.0.1\nallow_anonymous true\n" + tls +  //
            "require_certificate true\n");
    }

    std::uint16_t port() const { return process_->port(); }
    std::uint16_t auth_port() const { return auth_port_; }
    std::uint16_t tls_port() const { return tls_port_; }
    std::uint16_t cert_port() const { return cert_port_; }
    std::string File(const std::string& name) const { return files_.File(name); }

  private:
    // A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256 (fast to make).
    void MakeCertificates() {
        const std::string dir = files_.path().string();
        const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
        std::ofstream(files_.File("server.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
        std::ofstream(files_.File("client.ext")) << "extendedKeyUsage=clientAuth\n";
        const std::string cd = "cd " + dir + " && ";
        EXPECT_TRUE(Run(cd + "openssl req -x509" + key + "-keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca"));
        for (const std::string name : {"server", "client"}) {
            EXPECT_TRUE(Run(cd + "openssl req" + key + "-keyout " + name + ".key -out " + name +
                            ".csr -subj /CN=" + (name == "server" ? "127.0.0.1" : "meter-client")));
            EXPECT_TRUE(Run(cd + "openssl x509 -req -in " + name +
                            ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -out " + name + ".crt -days 2 -extfile " +
                            name + ".ext"));
        }
    }

    TempDir files_;
    std::uint16_t auth_port_, tls_port_, cert_port_;
    std::unique_ptr<MosquittoProcess> process_;
};

// One broker per test binary (per process: ctest runs each test case on its own).
inline TestBroker& SharedBroker() {
    static TestBroker broker;
    return broker;
}

inline MqttOptions Options(std::uint16_t port, std::string id) {
    MqttOptions o;
    o.port = port;
    o.client_id = std::move(id);
    o.min_backoff = std::chrono::milliseconds(50);
    o.max_backoff = std::chrono::milliseconds(200);
    return o;
}

// Records the messages a handler gets, with the thread each ran on.
class Inbox {
  public:
    MqttClient::Handler Handler() {
        return [this](const MqttMessage& m) {
            std::lock_guard lock(mutex_);
            messages_.push_back(m);
            threads_.push_back(std::this_thread::get_id());
        };
    }
    std::vector<MqttMessage> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }
    std::vector<std::thread::id> threads() {
        std::lock_guard lock(mutex_);
        return threads_;
    }
    std::size_t size() { return messages().size(); }
    std::vector<std::string> payloads() {
        std::vector<std::string> out;
        for (const auto& m : messages()) out.push_back(m.payload);
        return out;
    }

  private:
    std::mutex mutex_;
    std::vector<MqttMessage> messages_;
    std::vector<std::thread::id> threads_;
};

// Holds every task until Release(); after that runs tasks at once on the poster's thread.
class HeldExecutor final : public Executor {
  public:
    void Post(std::function<void()> task) override {
        std::unique_lock lock(mutex_);
        if (!released_) {
            held_.push_back(std::move(task));
            return;
        }
        lock.unlock();
        task();
    }
    void Release() {
        std::vector<std::function<void()>> held;
        {
            std::lock_guard lock(mutex_);
            released_ = true;
            held.swap(held_);
        }
        for (auto& task : held) task();
    }
    std::size_t held() {
        std::lock_guard lock(mutex_);
        return held_.size();
    }

  private:
    std::mutex mutex_;
    bool released_ = false;
    std::vector<std::function<void()>> held_;
};

inline std::unique_ptr<MqttClient> StartClient(MqttOptions options, Executor& executor) {
    auto client = MqttClient::Start(std::move(options), executor);
    EXPECT_TRUE(client) << (client ? "" : client.error().message);
    return client ? std::move(*client) : nullptr;
}

}  // namespace mh::net::testing
