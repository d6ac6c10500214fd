#include "core/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <set>
#include <variant>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace mh {
namespace {

using FieldRef = std::variant<std::string*, std::int64_t*, bool*>;

struct Field {
    std::string key;  // "section.key"
    FieldRef ref;
};

// The one list of settings. Adding a key here makes it loadable from every source.
std::vector<Field> Fields(Config& c) {
    return {
        {"storage.path", &c.storage.path},
        {"http.address", &c.http.address},
        {"http.port", &c.http.port},
        {"http.threads", &c.http.threads},
        {"http.body_limit_kb", &c.http.body_limit_kb},
        {"http.header_timeout_ms", &c.http.header_timeout_ms},
        {"http.idle_timeout_s", &c.http.idle_timeout_s},
        {"http.max_connections", &c.http.max_connections},
        {"http.public_url", &c.http.public_url},
        {"auth.jwt_secret", &c.auth.jwt_secret},
        {"auth.token_lifetime_s", &c.auth.token_lifetime_s},
        {"auth.login_attempts_per_minute", &c.auth.login_attempts_per_minute},
        {"auth.api_requests_per_minute", &c.auth.api_requests_per_minute},
        {"auth.cookie_secure", &c.auth.cookie_secure},
        {"solarman.enabled", &c.solarman.enabled},
        {"solarman.address", &c.solarman.address},
        {"solarman.port", &c.solarman.port},
        {"solarman.idle_timeout_s", &c.solarman.idle_timeout_s},
        {"solarman.max_connections", &c.solarman.max_connections},
        {"solarman.max_buffer_kb", &c.solarman.max_buffer_kb},
        {"solarman.maps_dir", &c.solarman.maps_dir},
        {"solarman.poll_interval_s", &c.solarman.poll_interval_s},
        {"solarman.poll_rescan_s", &c.solarman.poll_rescan_s},
        {"mqtt.host", &c.mqtt.host},
        {"mqtt.port", &c.mqtt.port},
        {"mqtt.client_id", &c.mqtt.client_id},
        {"mqtt.username", &c.mqtt.username},
        {"mqtt.password", &c.mqtt.password},
        {"mqtt.keepalive_s", &c.mqtt.keepalive_s},
        {"mqtt.reconnect_max_s", &c.mqtt.reconnect_max_s},
        {"mqtt.tls", &c.mqtt.tls},
        {"mqtt.ca_file", &c.mqtt.ca_file},
        {"mqtt.cert_file", &c.mqtt.cert_file},
        {"mqtt.key_file", &c.mqtt.key_file},
        {"mqtt.share_group", &c.mqtt.share_group},
        {"mqtt.max_pending", &c.mqtt.max_pending},
        {"opendtu.mqtt", &c.opendtu.mqtt},
        {"opendtu.base_topic", &c.opendtu.base_topic},
        {"mail.host", &c.mail.host},
        {"mail.port", &c.mail.port},
        {"mail.security", &c.mail.security},
        {"mail.username", &c.mail.username},
        {"mail.password", &c.mail.password},
        {"mail.from", &c.mail.from},
        {"mail.from_name", &c.mail.from_name},
        {"mail.ca_file", &c.mail.ca_file},
        {"mail.timeout_s", &c.mail.timeout_s},
        {"tsdb.checkpoint_interval_s", &c.tsdb.checkpoint_interval_s},
        {"tsdb.checkpoint_log_mb", &c.tsdb.checkpoint_log_mb},
        {"tsdb.max_queue_samples", &c.tsdb.max_queue_samples},
        {"tsdb.chunk_samples", &c.tsdb.chunk_samples},
        {"tsdb.gap_cap_s", &c.tsdb.gap_cap_s},
        {"tsdb.max_future_s", &c.tsdb.max_future_s},
        {"tsdb.sync", &c.tsdb.sync},
        {"retention.default_raw_days", &c.retention.default_raw_days},
        {"retention.purge_interval_s", &c.retention.purge_interval_s},
        {"log.level", &c.log.level},
        {"log.format", &c.log.format},
        {"demo.interval_s", &c.demo.interval_s},
    };
}

// Deprecated spellings that are still read: each sets the key it stands for, with a warning. [smtp] belonged to the
// hand-written plain-SMTP client; a config that uses it keeps that client's defaults (port 25, no TLS) unless
// mail.port and mail.security say otherwise, so an old relay setup goes on working unchanged.
struct Alias {
    std::string_view old_key;
    std::string_view key;
};
constexpr Alias kAliases[] = {
    {"smtp.host", "mail.host"},
    {"smtp.port", "mail.port"},
    {"smtp.from", "mail.from"},
};

Field* FindField(std::vector<Field>& fields, std::string_view key) {
    auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &*it;
}

// What loading has seen so far, across sources.
struct Loading {
    std::vector<Field> fields;
    std::set<std::string> assigned;  // keys set by any source (aliases counted as the key they stand for)
    std::map<std::string, std::string, std::less<>> spelled;  // this source: key -> the spelling it used
    std::vector<std::string> warnings;
    bool legacy_smtp = false;

    void NextSource() { spelled.clear(); }

    // The field `key` (or the deprecated alias `key`) names; nullptr when it names none. An error when one source
    // sets a key under both of its names.
    Result<Field*> Resolve(std::string_view key, const std::string& origin) {
        std::string_view canonical = key;
        const auto alias =
            std::find_if(std::begin(kAliases), std::end(kAliases), [&](const Alias& a) { return a.old_key == key; });
        if (alias != std::end(kAliases)) canonical = alias->key;
        Field* field = FindField(fields, canonical);
        if (field == nullptr) return field;
        auto [it, inserted] = spelled.emplace(std::string(canonical), std::string(key));
        if (!inserted && it->second != key) {
            return MakeError(Errc::kInvalidArgument, origin + ": both " + it->second + " and " + std::string(key) +
                                                         " are set; keep " + std::string(canonical) + " only");
        }
        if (alias != std::end(kAliases)) {
            legacy_smtp = true;
            warnings.push_back(origin + ": " + std::string(key) + " is deprecated; use " + std::string(canonical) +
                               " (the [mail] section)");
        }
        assigned.insert(std::string(canonical));
        return field;
    }
};

// Sets a field from text (environment variables and --set overrides).
Status SetFromText(const Field& field, std::string_view text, const std::string& origin) {
    return std::visit(
        [&](auto* target) -> Status {
            using T = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_same_v<T, std::string>) {
                *target = std::string(text);
            } else if constexpr (std::is_same_v<T, bool>) {
                if (text == "true" || text == "1" || text == "yes" || text == "on") {
                    *target = true;
                } else if (text == "false" || text == "0" || text == "no" || text == "off") {
                    *target = false;
                } else {
                    return MakeError(
                        Errc::kInvalidArgument,
                        origin + ": " + field.key + " must be true or false, not '" + std::string(text) + "'");
                }
            } else {
                std::int64_t value = 0;
                auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
                if (ec != std::errc{} || end != text.data() + text.size()) {
                    return MakeError(
                        Errc::kInvalidArgument,
                        origin + ": " + field.key + " must be a whole number, not '" + std::string(text) + "'");
                }
                *target = value;
            }
            return Ok();
        },
        field.ref);
}

Status SetFromToml(const Field& field, const toml::node& node, const std::string& origin) {
    return std::visit(
        [&](auto* target) -> Status {
            using T = std::remove_pointer_t<decltype(target)>;
            if constexpr (std::is_same_v<T, std::string>) {
                if (auto v = node.value_exact<std::string>()) {
                    *target = *v;
                    return Ok();
                }
                return MakeError(Errc::kInvalidArgument, origin + ": " + field.key + " must be a string");
            } else if constexpr (std::is_same_v<T, bool>) {
                if (auto v = node.value_exact<bool>()) {
                    *target = *v;
                    return Ok();
                }
                return MakeError(Errc::kInvalidArgument, origin + ": " + field.key + " must be true or false");
            } else {
                if (auto v = node.value_exact<std::int64_t>()) {
                    *target = *v;
                    return Ok();
                }
                return MakeError(Errc::kInvalidArgument, origin + ": " + field.key + " must be a whole number");
            }
        },
        field.ref);
}

Status ApplyFile(Loading& loading, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return MakeError(Errc::kInvalidArgument, path + ":" + std::to_string(where.line) + ":" +
                                                     std::to_string(where.column) + ": " +
                                                     std::string(e.description()));
    }
    for (const auto& [section, node] : root) {
        const auto* table = node.as_table();
        if (table == nullptr) {
            return MakeError(Errc::kInvalidArgument,
                             path + ": '" + std::string(section.str()) + "' must be a [section], not a value");
        }
        for (const auto& [key, value] : *table) {
            const std::string full = std::string(section.str()) + "." + std::string(key.str());
            auto resolved = loading.Resolve(full, path);
            if (!resolved) return std::move(resolved).error();
            Field* field = *resolved;
            if (field == nullptr) {
                return MakeError(Errc::kInvalidArgument, path + ":" + std::to_string(value.source().begin.line) +
                                                             ": unknown key '" + full + "'");
            }
            MH_RETURN_IF_ERROR(SetFromToml(*field, value, path));
        }
    }
    return Ok();
}

std::string EnvName(const std::string& key) {
    std::string name = "MH_";
    for (char ch : key) name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return name;
}

// Variables of other meterhub modules that are not configuration keys.
bool IsReservedVariable(std::string_view name) {
    return name == "MH_CONFIG" || name.starts_with("MH_USMS_") || name.starts_with("MH_TEST_");
}

bool IsLoopbackHost(std::string_view host) {
    return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "[::1]";
}

// A host name, an IPv4 address or an IPv6 address (bracketed or not): nothing that could change the URL it goes in.
bool IsHost(std::string_view host) {
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    if (host.empty() || host.size() > 253) return false;
    if (std::count(host.begin(), host.end(), ':') >= 2) {  // IPv6: hex digits, colons, maybe a dotted IPv4 tail
        return std::all_of(host.begin(), host.end(), [](char c) {
            return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
        });
    }
    return std::all_of(host.begin(), host.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-'; });
}

bool IsAddress(std::string_view address) {
    const auto at = address.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < address.size() && address.size() <= 254 &&
           std::none_of(address.begin(), address.end(), [](char c) {
               return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == 0x7f;
           });
}

Status ValidateMail(const MailConfig& mail) {
    auto fail = [](std::string message) { return MakeError(Errc::kInvalidArgument, "config: " + std::move(message)); };
    if (mail.port < 1 || mail.port > 65535) return fail("mail.port must be 1..65535");
    if (mail.security != "starttls" && mail.security != "tls" && mail.security != "none") {
        return fail("mail.security must be starttls, tls or none (got '" + mail.security + "')");
    }
    if (mail.timeout_s < 1 || mail.timeout_s > 600) return fail("mail.timeout_s must be 1..600");
    if (mail.username.empty() != mail.password.empty()) {
        return fail("mail.username and mail.password go together: set both to log in, or neither");
    }
    if (mail.host.empty()) return Ok();  // mails go to the log; the rest is not used
    if (!IsHost(mail.host)) return fail("mail.host must be a host name or an IP address (got '" + mail.host + "')");
    // A password in clear text over the network is refused; to a server on this machine it never leaves the host.
    if (!mail.username.empty() && mail.security == "none" && !IsLoopbackHost(mail.host)) {
        return fail("mail.security = none would send mail.password unencrypted to " + mail.host +
                    "; use starttls or tls (a login without TLS is allowed only to a server on this machine)");
    }
    if (!IsAddress(mail.from)) return fail("mail.from must be an e-mail address (got '" + mail.from + "')");
    if (mail.from_name.size() > 100 || mail.from_name.find_first_of("\r\n") != std::string::npos) {
        return fail("mail.from_name must be one line of at most 100 bytes");
    }
    return Ok();
}

std::string ToToml(const FieldRef& ref) {
    return std::visit(
        [](auto* v) -> std::string {
            using T = std::remove_pointer_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                return "\"" + *v + "\"";
            } else if constexpr (std::is_same_v<T, bool>) {
                return *v ? "true" : "false";
            } else {
                return std::to_string(*v);
            }
        },
        ref);
}

// The key whose variable MH_<SECTION>_<KEY> is `name` (deprecated aliases included); empty when none.
std::string KeyOfVariable(const std::vector<Field>& fields, const std::string& name) {
    for (const auto& field : fields) {
        if (EnvName(field.key) == name) return field.key;
    }
    for (const auto& alias : kAliases) {
        if (EnvName(std::string(alias.old_key)) == name) return std::string(alias.old_key);
    }
    return "";
}

}  // namespace

std::map<std::string, std::string> ReadEnvironment() {
    std::map<std::string, std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (!entry.starts_with("MH_")) continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

Result<Config> LoadConfig(const ConfigSources& sources) {
    Config config;
    Loading loading{Fields(config)};
    if (!sources.file.empty()) MH_RETURN_IF_ERROR(ApplyFile(loading, sources.file));

    loading.NextSource();
    for (const auto& [name, value] : sources.environment) {
        if (IsReservedVariable(name)) continue;
        const std::string key = KeyOfVariable(loading.fields, name);
        auto field = loading.Resolve(key, "environment");
        if (!field) return std::move(field).error();
        if (key.empty() || *field == nullptr) {
            return MakeError(Errc::kInvalidArgument, "environment: unknown variable " + name +
                                                         " (settings are MH_<SECTION>_<KEY>, e.g. MH_STORAGE_PATH)");
        }
        MH_RETURN_IF_ERROR(SetFromText(**field, value, "environment " + name));
    }

    loading.NextSource();
    for (const auto& override_text : sources.overrides) {
        const auto eq = override_text.find('=');
        if (eq == std::string::npos) {
            return MakeError(Errc::kInvalidArgument, "--set '" + override_text + "': expected section.key=value");
        }
        const std::string key = override_text.substr(0, eq);
        auto field = loading.Resolve(key, "--set");
        if (!field) return std::move(field).error();
        if (*field == nullptr) return MakeError(Errc::kInvalidArgument, "--set: unknown key '" + key + "'");
        MH_RETURN_IF_ERROR(SetFromText(**field, std::string_view(override_text).substr(eq + 1), "--set"));
    }

    if (loading.legacy_smtp) {
        const bool port = loading.assigned.contains("mail.port");
        const bool security = loading.assigned.contains("mail.security");
        if (!port) config.mail.port = 25;
        if (!security) config.mail.security = "none";
        if (!port || !security) {
            const std::string defaults = !port && !security ? "mail.port defaults to 25 and mail.security to none"
                                         : !port            ? "mail.port defaults to 25"
                                                            : "mail.security defaults to none";
            loading.warnings.push_back("config: with the deprecated [smtp] keys, " + defaults +
                                       ", as before; set them in [mail] to change that");
        }
    }
    config.warnings = std::move(loading.warnings);
    MH_RETURN_IF_ERROR(config.Validate());
    return config;
}

Status Config::Validate() const {
    auto fail = [](std::string message) { return MakeError(Errc::kInvalidArgument, "config: " + std::move(message)); };
    if (storage.path.empty()) return fail("storage.path must not be empty");
    if (http.port < 0 || http.port > 65535) return fail("http.port must be 0..65535");
    if (http.threads < 0 || http.threads > 256) return fail("http.threads must be 0..256");
    if (http.body_limit_kb < 1 || http.body_limit_kb > 1'048'576) return fail("http.body_limit_kb must be 1..1048576");
    if (http.header_timeout_ms < 100) return fail("http.header_timeout_ms must be at least 100");
    if (http.idle_timeout_s < 1) return fail("http.idle_timeout_s must be at least 1");
    if (http.max_connections < 1) return fail("http.max_connections must be at least 1");
    if (solarman.port < 0 || solarman.port > 65535) return fail("solarman.port must be 0..65535");
    if (solarman.poll_interval_s < 1) return fail("solarman.poll_interval_s must be at least 1");
    if (solarman.poll_rescan_s < 1) return fail("solarman.poll_rescan_s must be at least 1");
    if (solarman.idle_timeout_s < 1) return fail("solarman.idle_timeout_s must be at least 1");
    if (solarman.max_connections < 1) return fail("solarman.max_connections must be at least 1");
    if (solarman.max_buffer_kb < 2 || solarman.max_buffer_kb > 1024) return fail("solarman.max_buffer_kb must be 2..1024");
    if (!auth.jwt_secret.empty() && auth.jwt_secret.size() < 32) {
        return fail("auth.jwt_secret must be at least 32 characters (or empty to generate one)");
    }
    if (auth.token_lifetime_s < 60) return fail("auth.token_lifetime_s must be at least 60");
    if (auth.login_attempts_per_minute < 1) return fail("auth.login_attempts_per_minute must be at least 1");
    if (auth.api_requests_per_minute < 1) return fail("auth.api_requests_per_minute must be at least 1");
    MH_RETURN_IF_ERROR(ValidateMail(mail));
    if (mqtt.port < 1 || mqtt.port > 65535) return fail("mqtt.port must be 1..65535");
    if (mqtt.client_id.size() > 64) return fail("mqtt.client_id must be at most 64 characters (empty: derived)");
    if (mqtt.keepalive_s < 5 || mqtt.keepalive_s > 65535) return fail("mqtt.keepalive_s must be 5..65535");
    if (mqtt.reconnect_max_s < 1) return fail("mqtt.reconnect_max_s must be at least 1");
    if (mqtt.cert_file.empty() != mqtt.key_file.empty()) {
        return fail("mqtt.cert_file and mqtt.key_file go together (a client certificate and its key)");
    }
    if (mqtt.share_group.find_first_of("/+#") != std::string::npos) {
        return fail("mqtt.share_group must not contain /, + or #");
    }
    if (mqtt.max_pending < 1 || mqtt.max_pending > 1'000'000) return fail("mqtt.max_pending must be 1..1000000");
    if (opendtu.base_topic.find_first_of("#+") != std::string::npos) {
        return fail("opendtu.base_topic must not contain MQTT wildcards");
    }
    if (tsdb.checkpoint_interval_s < 1 || tsdb.checkpoint_interval_s > 86'400) {
        return fail("tsdb.checkpoint_interval_s must be between 1 and 86400");
    }
    if (tsdb.checkpoint_log_mb < 1) return fail("tsdb.checkpoint_log_mb must be at least 1");
    if (tsdb.max_queue_samples < 1000) return fail("tsdb.max_queue_samples must be at least 1000");
    if (tsdb.chunk_samples < 16 || tsdb.chunk_samples > 65'536) return fail("tsdb.chunk_samples must be 16..65536");
    if (tsdb.gap_cap_s < 1) return fail("tsdb.gap_cap_s must be positive");
    if (tsdb.max_future_s < 0) return fail("tsdb.max_future_s must not be negative");
    if (retention.default_raw_days < 1) return fail("retention.default_raw_days must be at least 1");
    if (retention.purge_interval_s < 60) return fail("retention.purge_interval_s must be at least 60");
    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::none_of(std::begin(kLevels), std::end(kLevels), [&](const char* l) { return log.level == l; })) {
        return fail("log.level must be one of trace, debug, info, warn, error (got '" + log.level + "')");
    }
    if (log.format != "console" && log.format != "json") {
        return fail("log.format must be console or json (got '" + log.format + "')");
    }
    if (demo.interval_s < 1) return fail("demo.interval_s must be at least 1");
    return Ok();
}

std::vector<ConfigKey> ConfigKeys() {
    Config defaults;
    std::vector<ConfigKey> out;
    for (const auto& field : Fields(defaults)) out.push_back({field.key, ToToml(field.ref)});
    return out;
}

}  // namespace mh
