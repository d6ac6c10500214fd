// MqttRouter<T>: the subscriptions of one MQTT connection by topic filter, and which of them a message's topic
// belongs to. Exact filters (no `+` or `#`) are found by hashing, wildcard filters are tried one by one with
// libmosquitto's matcher, so a connection with a thousand `a/<n>/reply` subscriptions still routes in O(1).
//
// Filters are the inner ones: a shared subscription `$share/<group>/<filter>` is stored under `<filter>`,
// because messages arrive with their real topic. Not thread-safe: the owner locks.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace mh::net {

// Whether `filter` (with `+` and `#`) matches `topic`, by MQTT's rules (mosquitto_topic_matches_sub): also
// that a filter starting with a wildcard does not match a `$SYS/...` topic.
bool MqttTopicMatches(const std::string& filter, const std::string& topic);
bool MqttHasWildcards(std::string_view filter);

template <class T>
class MqttRouter {
  public:
    // Adds the entry for `filter`, or replaces it; returns the one it replaced.
    std::optional<T> Set(const std::string& filter, T value) {
        if (MqttHasWildcards(filter)) return Put(wildcard_, filter, std::move(value));
        return Put(exact_, filter, std::move(value));
    }
    std::optional<T> Remove(const std::string& filter) {
        return MqttHasWildcards(filter) ? Take(wildcard_, filter) : Take(exact_, filter);
    }
    T* Find(const std::string& filter) {
        if (MqttHasWildcards(filter)) {
            auto it = wildcard_.find(filter);
            return it == wildcard_.end() ? nullptr : &it->second;
        }
        auto it = exact_.find(filter);
        return it == exact_.end() ? nullptr : &it->second;
    }
    // Calls f(filter, value) for each entry whose filter matches `topic`.
    template <class F>
    void ForEachMatch(const std::string& topic, F&& f) const {
        if (auto it = exact_.find(topic); it != exact_.end()) f(it->first, it->second);
        for (const auto& [filter, value] : wildcard_) {
            if (MqttTopicMatches(filter, topic)) f(filter, value);
        }
    }
    // Calls f(filter, value) for every entry.
    template <class F>
    void ForEach(F&& f) {
        for (auto& [filter, value] : exact_) f(filter, value);
        for (auto& [filter, value] : wildcard_) f(filter, value);
    }
    template <class F>
    void ForEach(F&& f) const {
        for (const auto& [filter, value] : exact_) f(filter, value);
        for (const auto& [filter, value] : wildcard_) f(filter, value);
    }
    std::size_t size() const { return exact_.size() + wildcard_.size(); }

  private:
    template <class Table>
    static std::optional<T> Put(Table& table, const std::string& filter, T value) {
        auto [it, inserted] = table.try_emplace(filter, std::move(value));  // moves only when it inserts
        if (inserted) return std::nullopt;
        std::optional<T> old(std::move(it->second));
        it->second = std::move(value);
        return old;
    }
    template <class Table>
    static std::optional<T> Take(Table& table, const std::string& filter) {
        auto it = table.find(filter);
        if (it == table.end()) return std::nullopt;
        std::optional<T> old(std::move(it->second));
        table.erase(it);
        return old;
    }

    std::unordered_map<std::string, T> exact_;
    std::map<std::string, T> wildcard_;  // ordered: deterministic delivery order across handlers
};

}  // namespace mh::net
