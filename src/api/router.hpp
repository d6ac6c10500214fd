// Router: maps a method and a path to a route, with {name} segments captured as parameters.
//
// Patterns are literal segments and {param} segments, e.g. "/api/v1/tenants/{tenant}/devices/{device}".
// Match() tells apart "no such path" (404) and "path exists, method does not" (405, with the allowed ones).
// Built once at start, then read-only: thread-safe for concurrent Match().
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"

namespace mh::api {

using Params = std::map<std::string, std::string, std::less<>>;

template <class Target>
class Router {
  public:
    void Add(net::Method method, std::string_view pattern, Target target) {
        routes_.push_back(Route{method, std::string(pattern), Split(pattern), std::move(target)});
    }

    struct Match {
        const Target* target = nullptr;     // null: no route
        Params params;
        std::vector<net::Method> allowed;  // when the path matched but the method did not
        const std::string* pattern = nullptr;
    };

    Match Find(net::Method method, std::string_view path) const {
        Match match;
        const auto segments = Split(path);
        for (const Route& route : routes_) {
            Params params;
            if (!Matches(route.segments, segments, params)) continue;
            if (route.method == method || (method == net::Method::kHead && route.method == net::Method::kGet)) {
                match.target = &route.target;
                match.params = std::move(params);
                match.pattern = &route.pattern;
                return match;
            }
            match.allowed.push_back(route.method);
        }
        return match;
    }

    template <class Visit>
    void ForEach(Visit&& visit) const {
        for (const Route& route : routes_) visit(route.method, route.pattern, route.target);
    }

  private:
    struct Route {
        net::Method method;
        std::string pattern;
        std::vector<std::string> segments;
        Target target;
    };

    static std::vector<std::string> Split(std::string_view path) {
        std::vector<std::string> out;
        std::size_t at = 0;
        while (at < path.size()) {
            if (path[at] == '/') {
                ++at;
                continue;
            }
            const std::size_t end = path.find('/', at);
            out.emplace_back(path.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
            if (end == std::string_view::npos) break;
            at = end;
        }
        return out;
    }

    static bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path, Params& params) {
        if (pattern.size() != path.size()) return false;
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            const std::string& p = pattern[i];
            if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
                params.emplace(p.substr(1, p.size() - 2), path[i]);
            } else if (p != path[i]) {
                return false;
            }
        }
        return true;
    }

    std::vector<Route> routes_;
};

}  // namespace mh::api
