// Router: maps a method and a path to a route, with {name} segments captured as parameters.
//
// Patterns are literal segments and {param} segments, e.g. "/api/v1/tenants/{tenant}/devices/{device}".
// Find() tells apart "no such path" (404) and "path exists, method does not" (405, with the allowed ones).
// Built once at start, then read-only: thread-safe for concurrent Find(). Finding allocates
// nothing but the captured parameters of the route found.
#pragma once

#include <algorithm>
#include <deque>
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
        Route& route = routes_.emplace_back(method, pattern, std::move(target));
        route.segments = Split(route.pattern);
    }

    struct Match {
        const Target* target = nullptr;  // null: no route
        Params params;
        std::vector<net::Method> allowed;  // when the path matched but the method did not
        const std::string* pattern = nullptr;
    };

    Match Find(net::Method method, std::string_view path) const {
        Match match;
        const Segments segments = Split(path);
        for (const Route& route : routes_) {
            if (!Matches(route.segments, segments)) continue;
            if (route.method == method || (method == net::Method::kHead && route.method == net::Method::kGet)) {
                match.target = &route.target;
                match.pattern = &route.pattern;
                Capture(route.segments, segments, match.params);
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
    using Segments = std::vector<std::string_view>;

    struct Route {
        net::Method method;
        std::string pattern;
        Segments segments;  // views into `pattern`
        Target target;

        Route(net::Method m, std::string_view p, Target t) : method(m), pattern(p), target(std::move(t)) {}
        Route(const Route&) = delete;  // `segments` point into `pattern`
        Route& operator=(const Route&) = delete;
    };

    // The non-empty segments of a path, as views into it.
    static Segments Split(std::string_view path) {
        Segments out;
        std::size_t at = 0;
        while (at < path.size()) {
            if (path[at] == '/') {
                ++at;
                continue;
            }
            const std::size_t end = std::min(path.find('/', at), path.size());
            out.push_back(path.substr(at, end - at));
            at = end;
        }
        return out;
    }

    static bool IsParam(std::string_view segment) {
        return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    }

    static bool Matches(const Segments& pattern, const Segments& path) {
        if (pattern.size() != path.size()) return false;
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if (!IsParam(pattern[i]) && pattern[i] != path[i]) return false;
        }
        return true;
    }

    static void Capture(const Segments& pattern, const Segments& path, Params& params) {
        for (std::size_t i = 0; i < pattern.size(); ++i) {
            if (IsParam(pattern[i])) params.emplace(pattern[i].substr(1, pattern[i].size() - 2), path[i]);
        }
    }

    std::deque<Route> routes_;  // a deque: adding a route never moves the others (their segments are views)
};

}  // namespace mh::api
