// The system administrator of a ServerProcess over HTTP: login once, call with the bearer token, make tenants,
// devices and API keys, read series — what the collector integration tests all need.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <string>

#include "http_client.hpp"

namespace mh::testing {

inline boost::json::value ParseJson(const std::string& body) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    EXPECT_FALSE(ec) << body;
    return v;
}

inline std::string Text(const boost::json::value& v, const char* key) {
    return std::string(v.at(key).as_string());
}

inline std::int64_t WallMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class AdminSession {
  public:
    explicit AdminSession(std::uint16_t port) : client_(port) {}

    HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "") {
        return client_.Request(method, target, body, {{"Authorization", "Bearer " + Token()}});
    }

    std::string Token() {
        if (token_.empty()) {
            auto r = client_.Request("POST", "/api/v1/auth/login",
                                     R"({"email":"admin@example.org","password":"admin password 1"})");
            token_ = Text(ParseJson(r.body), "token");
        }
        return token_;
    }

    std::string MakeTenant(const std::string& name, const std::string& zone = "Europe/Berlin") {
        auto t = Call("POST", "/api/v1/tenants", R"({"name":")" + name + R"(","time_zone":")" + zone + "\"}");
        EXPECT_EQ(t.status, 201) << t.body;
        return Text(ParseJson(t.body), "id");
    }

    // A device of `tenant`; `fields` is the rest of the JSON object, e.g. R"("source":"opendtu","serial":"1")".
    std::string MakeDevice(const std::string& tenant, const std::string& name, const std::string& fields) {
        auto d = Call("POST", "/api/v1/tenants/" + tenant + "/devices", R"({"name":")" + name + "\"," + fields + "}");
        EXPECT_EQ(d.status, 201) << d.body;
        return Text(ParseJson(d.body), "id");
    }

    std::string MakeApiKey(const std::string& tenant) {
        auto k = Call("POST", "/api/v1/tenants/" + tenant + "/api-keys", R"({"name":"dtu"})");
        EXPECT_EQ(k.status, 201) << k.body;
        return Text(ParseJson(k.body), "key");
    }

    // The series of `device` by metric name.
    std::map<std::string, std::string> SeriesOf(const std::string& tenant, const std::string& device) {
        const auto d = ParseJson(Call("GET", "/api/v1/tenants/" + tenant + "/devices/" + device).body);
        std::map<std::string, std::string> out;
        for (const auto& s : d.at("series").as_array()) out[Text(s, "metric")] = Text(s, "id");
        return out;
    }

    // The newest value of a series (NaN when it has none).
    double Latest(const std::string& tenant, const std::string& series) {
        const auto v = ParseJson(Call("GET", "/api/v1/tenants/" + tenant + "/series/" + series + "/latest").body);
        return v.at("value").is_null() ? std::nan("") : v.at("value").to_number<double>();
    }

    HttpClient& client() { return client_; }

  private:
    HttpClient client_;
    std::string token_;
};

}  // namespace mh::testing
