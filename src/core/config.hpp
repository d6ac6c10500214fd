// Config: every setting meterhub reads, as typed structs with their defaults.
//
// Sources, lowest precedence first: built-in defaults, the TOML file (--config), environment variables
// MH_<SECTION>_<KEY> (e.g. MH_STORAGE_PATH), and command-line overrides (--set section.key=value and the
// convenience flags that map onto them). Unknown keys in any source are errors, so a typo never silently
// falls back to a default. config/example.toml lists every key; a test keeps the two in step.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mh {

struct StorageConfig {
    std::string path = "data/meterhub.db";  // SQLite file; the sample log lives beside it in <path>-log/
};

struct TsdbConfig {
    std::int64_t checkpoint_interval_s = 300;    // how often the in-memory head is written as chunks
    std::int64_t checkpoint_log_mb = 256;        // ...or when the log has grown this much
    std::int64_t max_queue_samples = 2'000'000;  // samples waiting for the log; more is refused (overload)
    std::int64_t chunk_samples = 240;            // target samples per compressed chunk
    std::int64_t gap_cap_s = 600;                // a power gap longer than this adds no energy
    std::int64_t max_future_s = 86'400;          // timestamps further ahead of now are rejected
    bool sync = true;                            // fdatasync the log before acknowledging (keep on!)
};

struct RetentionConfig {
    std::int64_t default_raw_days = 730;   // raw samples kept for new tenants; rollups are kept forever
    std::int64_t purge_interval_s = 3600;  // how often serve applies retention
};

struct HttpConfig {
    std::string address = "0.0.0.0";
    std::int64_t port = 8080;
    std::int64_t threads = 0;                 // I/O threads; 0: one per core
    std::int64_t body_limit_kb = 8192;        // largest request body
    std::int64_t header_timeout_ms = 10'000;  // a request head must arrive within this (slowloris defence)
    std::int64_t idle_timeout_s = 60;         // keep-alive connections close after this much silence
    std::int64_t max_connections = 10'000;
    std::string public_url = "http://localhost:8080";  // how users reach this server (links in e-mails)
};

struct AuthConfig {
    std::string jwt_secret;                    // empty: generated once and kept in <storage.path>-secret
    std::int64_t token_lifetime_s = 172'800;   // bearer tokens live two days
    std::int64_t login_attempts_per_minute = 5;  // per address and per account
    std::int64_t api_requests_per_minute = 6000;  // per token or API key
    bool cookie_secure = false;                   // mark the browser session cookie Secure (serve behind HTTPS)
};

struct SolarmanConfig {
    bool enabled = true;               // listen for Solarman V5 data loggers
    std::string address = "0.0.0.0";
    std::int64_t port = 10000;         // the logger's "Server B" port
    std::int64_t idle_timeout_s = 300;  // loggers send a heartbeat every minute or so
    std::int64_t max_connections = 20'000;
    std::int64_t max_buffer_kb = 16;   // per connection, frames not yet complete
    std::string maps_dir;              // extra field/register map files (*.toml); empty: built-in maps only
    std::int64_t poll_interval_s = 60;  // pull mode: how often devices with a poll address are read
    std::int64_t poll_rescan_s = 60;    // pull mode: how often the device list is re-read for changes
};

struct MqttConfig {
    std::string host;  // the broker; empty: meterhub uses no MQTT
    std::int64_t port = 1883;
    std::string client_id;  // empty: "meterhub-<instance id>"; two connections with one id kick each other off
    std::string username;   // empty: connect without credentials
    std::string password;
    std::int64_t keepalive_s = 30;
    std::int64_t reconnect_max_s = 30;  // back-off between reconnect attempts doubles up to this
    bool tls = false;                   // TLS to the broker (usually port 8883)
    std::string ca_file;                // PEM CA file that signed the broker's certificate; empty: /etc/ssl/certs
    std::string cert_file;              // client certificate and its key (PEM), for brokers that require one
    std::string key_file;
    std::string share_group;            // non-empty: instances split topics through $share/<group>/...
    std::int64_t max_pending = 1000;    // messages waiting for their handler; more are dropped (counted)
};

struct OpenDtuConfig {
    bool mqtt = true;                   // read upstream OpenDTU topics when an MQTT broker is configured
    std::string base_topic = "solar/";  // OpenDTU's "MQTT base topic"
};

// Outgoing e-mail (verification and password-reset links) through an SMTP server: a provider's submission port
// (587 with STARTTLS and a login, as most providers want), implicit TLS (465), or a LAN relay without either.
// The old [smtp] section (host, port, from) is still read as a deprecated alias; see config/example.toml.
struct MailConfig {
    std::string host;                   // the SMTP server; empty: e-mails are written to the log instead of sent
    std::int64_t port = 587;            // 587 submission (starttls), 465 (tls), 25 (a relay, often none)
    std::string security = "starttls";  // starttls (required, never skipped), tls (implicit) or none (plain text)
    std::string username;               // log in with these; both empty: no login
    std::string password;
    std::string from = "meterhub@localhost";  // the sender address (envelope and From:)
    std::string from_name;                    // shown with it, e.g. "Deye Hard"; empty: the address alone
    std::string ca_file;  // PEM file of CAs to verify the server with; empty: the system's store (never unverified)
    std::int64_t timeout_s = 30;  // one delivery attempt, connect to goodbye
};

struct LogConfig {
    std::string level = "info";      // trace, debug, info, warn, error
    std::string format = "console";  // console or json
};

struct DemoConfig {
    std::int64_t interval_s = 5;  // how often the demo's simulated devices report
};

struct Config {
    StorageConfig storage;
    HttpConfig http;
    AuthConfig auth;
    SolarmanConfig solarman;
    MqttConfig mqtt;
    OpenDtuConfig opendtu;
    MailConfig mail;
    TsdbConfig tsdb;
    RetentionConfig retention;
    LogConfig log;
    DemoConfig demo;

    // Things worth a warning once logging is up (deprecated keys that were used); not errors.
    std::vector<std::string> warnings;

    Status Validate() const;
};

struct ConfigSources {
    std::string file;                                // empty: no file
    std::map<std::string, std::string> environment;  // usually from ReadEnvironment()
    std::vector<std::string> overrides;              // "section.key=value", highest precedence
};

// The MH_* variables of this process.
std::map<std::string, std::string> ReadEnvironment();

Result<Config> LoadConfig(const ConfigSources& sources);

// Every key as "section.key", with its default rendered as TOML and its description; used by
// `meterhub config keys` and the test that checks config/example.toml.
struct ConfigKey {
    std::string key;
    std::string default_toml;
};
std::vector<ConfigKey> ConfigKeys();

}  // namespace mh
