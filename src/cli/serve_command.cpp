// serve: the long-running process. For now the time-series engine with retention, and with --demo a demo
// tenant fed by a simulated inverter through the real write path.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/api.hpp"
#include "api/metrics.hpp"
#include "cli/command.hpp"
#include "cli/demo_daylight.hpp"
#include "cli/demo_dtu.hpp"
#include "cli/demo_loggers.hpp"
#include "cli/frontend.hpp"
#include "cli/instance_feed.hpp"
#include "cli/mqtt_service.hpp"
#include "cli/opendtu_mqtt_service.hpp"
#include "jobs/scheduler.hpp"
#include "cli/runtime.hpp"
#include "collect/field_map_catalog.hpp"
#include "collect/solarman_collector.hpp"
#include "collect/solarman_pollers.hpp"
#include "domain/access.hpp"
#include "domain/login_limits.hpp"
#include "domain/passwords.hpp"
#include "domain/secrets.hpp"
#include "net/http_server.hpp"
#include "store/postgres/sample_journal.hpp"
#include "store/sql/sql_database.hpp"
#include "net/mail_outbox.hpp"
#include "net/stream_server.hpp"
#include "sim/solar.hpp"
#include "web/live_hub.hpp"
#include "web/site.hpp"

namespace mh::cli {
namespace {

constexpr const char* kDemoTenant = "demo";
constexpr const char* kDemoEmail = "demo@meterhub.local";
constexpr const char* kDemoPassword = "demo-password";

struct DemoSeries {
    SeriesId power;
    SeriesId energy_today;
    SeriesId energy_total;
    SeriesId temperature;
    TenantId tenant;
};

// Creates (or finds) the demo tenant, its owner and a simulated inverter with its series.
Result<DemoSeries> SetUpDemo(Runtime& rt) {
    auto tenant = rt.store->tenants().FindTenant(kDemoTenant);
    if (!tenant) {
        MH_ASSIGN_OR_RETURN(
            tenant, rt.store->tenants().CreateTenant({kDemoTenant, "Europe/Berlin", rt.config.retention.default_raw_days}));
    }
    auto user = rt.store->users().FindUserByEmail(kDemoEmail);
    if (!user) {
        MH_ASSIGN_OR_RETURN(auto hash, domain::HashPassword(kDemoPassword));
        MH_ASSIGN_OR_RETURN(user, rt.store->users().CreateUser({kDemoEmail, "Demo", hash, false}));
    }
    MH_RETURN_IF_ERROR(rt.store->users().SetMember(tenant->id, user->id, Role::kOwner));
    const auto scope = domain::Access::ForOperator(tenant->id);
    auto device = rt.store->devices().FindDeviceBySerial(scope, "DEMO-0001");
    if (!device) {
        MH_ASSIGN_OR_RETURN(device,
                            rt.store->devices().CreateDevice(scope, {"Demo inverter", "demo", "DEMO-0001", "demo-5kw", ""}));
    }
    using store::SeriesKind;
    DemoSeries demo;
    demo.tenant = tenant->id;
    MH_ASSIGN_OR_RETURN(auto power, rt.store->devices().EnsureSeries(scope, {device->id, "power_ac", "W", SeriesKind::kGauge}));
    MH_ASSIGN_OR_RETURN(auto today,
                        rt.store->devices().EnsureSeries(scope, {device->id, "energy_today", "kWh", SeriesKind::kCounter}));
    MH_ASSIGN_OR_RETURN(auto total,
                        rt.store->devices().EnsureSeries(scope, {device->id, "energy_total", "kWh", SeriesKind::kCounter}));
    MH_ASSIGN_OR_RETURN(auto temp,
                        rt.store->devices().EnsureSeries(scope, {device->id, "temperature", "°C", SeriesKind::kGauge}));
    demo.power = power.id;
    demo.energy_today = today.id;
    demo.energy_total = total.id;
    demo.temperature = temp.id;
    return demo;
}

// Feeds the demo inverter's readings: one Step() per demo.interval_s, as a local job on the scheduler.
class DemoFeeder {
  public:
    DemoFeeder(Runtime& rt, DemoSeries demo)
        : rt_(rt),
          demo_(std::move(demo)),
          inverter_(5000.0, 42),
          zone_(DemoDaylightZone(rt.clock.Now())),
          interval_(std::chrono::seconds(rt.config.demo.interval_s)),
          day_(zone_.LocalDay(rt.clock.Now())) {}

    jobs::JobSpec Job() {
        return jobs::JobSpec{"demo-feeder", interval_, interval_, false, [this] { return Step(); }};
    }

    Status Step() {
        const Timestamp now = rt_.clock.Now();
        if (zone_.LocalDay(now) != day_) {
            day_ = zone_.LocalDay(now);
            today_kwh_ = 0;
        }
        const double power = inverter_.PowerAt(now, zone_);
        const double kwh = power * std::chrono::duration<double>(interval_).count() / 3.6e6;
        today_kwh_ += kwh;
        total_kwh_ += kwh;
        const std::int64_t ts = ToMillis(now);
        const std::vector<tsdb::SeriesSample> batch{
            {demo_.power, ts, power},
            {demo_.energy_today, ts, std::round(today_kwh_ * 1000) / 1000},
            {demo_.energy_total, ts, std::round(total_kwh_ * 1000) / 1000},
            {demo_.temperature, ts, std::round((25.0 + power / 200.0) * 10) / 10},
        };
        return rt_.engine->Write(domain::Access::ForOperator(demo_.tenant), batch);
    }

  private:
    Runtime& rt_;
    DemoSeries demo_;
    sim::SolarInverter inverter_;
    const TimeZone zone_;
    const std::chrono::milliseconds interval_;
    date::local_days day_;
    double today_kwh_ = 0;
    double total_kwh_ = 1234.5;
};

// The configured JWT secret, or the one generated at first start and kept beside the database file. On
// PostgreSQL it must be configured: every instance must sign and check tokens with the same one.
Result<std::string> JwtSecret(const Config& config) {
    if (!config.auth.jwt_secret.empty()) return config.auth.jwt_secret;
    if (!config.storage.url.empty()) {
        return MakeError(Errc::kInvalidArgument,
                         "storage.url is set, so set auth.jwt_secret (MH_AUTH_JWT_SECRET) as well: every instance "
                         "on the database must sign tokens with the same secret");
    }
    const std::string path = config.storage.path + "-secret";
    std::ifstream in(path);
    std::string secret;
    if (in && std::getline(in, secret) && secret.size() >= 32) return secret;
    secret = domain::RandomHex(32);
    const mode_t old_mask = umask(077);
    std::ofstream out(path, std::ios::trunc);
    out << secret << "\n";
    out.close();
    umask(old_mask);
    if (!out) return MakeError(Errc::kUnavailable, "cannot write the generated JWT secret to " + path);
    spdlog::info("generated a JWT secret in {}", path);
    return secret;
}

net::ServerOptions ServerOptionsFrom(const Config& config) {
    net::ServerOptions o;
    o.address = config.http.address;
    o.port = static_cast<std::uint16_t>(config.http.port);
    o.body_limit = static_cast<std::size_t>(config.http.body_limit_kb) * 1024;
    o.header_timeout = std::chrono::milliseconds(config.http.header_timeout_ms);
    o.idle_timeout = std::chrono::seconds(config.http.idle_timeout_s);
    o.max_connections = static_cast<std::size_t>(config.http.max_connections);
    return o;
}

net::StreamOptions SolarmanListenOptions(const Config& config) {
    net::StreamOptions o;
    o.name = "solarman";
    o.address = config.solarman.address;
    o.port = static_cast<std::uint16_t>(config.solarman.port);
    o.idle_timeout = std::chrono::seconds(config.solarman.idle_timeout_s);
    o.max_connections = static_cast<std::size_t>(config.solarman.max_connections);
    return o;
}

void AddSolarmanMetrics(api::Api& api, const collect::SolarmanCollector& collector, const net::StreamServer& server) {
    api.AddMetricsSource([&collector, &server](std::string& out) {
        const auto s = collector.stats();
        const auto add = [&out](const char* name, const char* help, std::uint64_t value,
                                api::MetricType type = api::MetricType::kCounter) {
            api::AppendMetric(out, name, help, type, static_cast<std::int64_t>(value));
        };
        add("meterhub_solarman_connections_open", "Open Solarman logger connections.", server.stats().open,
            api::MetricType::kGauge);
        add("meterhub_solarman_frames_total", "Frames received from loggers.", s.frames);
        add("meterhub_solarman_replies_total", "Acknowledgements sent to loggers.", s.replies);
        add("meterhub_solarman_samples_total", "Samples stored from logger data frames.", s.samples);
        add("meterhub_solarman_unclaimed_frames_total", "Frames from loggers no tenant registered.",
            s.unclaimed_frames);
        add("meterhub_solarman_bad_frames_total", "Byte runs that were not valid frames.", s.bad_frames);
        add("meterhub_solarman_undecodable_total", "Data frames without a usable field map.", s.undecodable);
        add("meterhub_solarman_dropped_historic_total", "Historic frames with implausible times.", s.dropped_historic);
    });
}

// Where Solarman loggers should send their data, as the web pages tell people: the public URL's host and the
// collector's port.
std::string CollectorAddress(const Config& config) {
    std::string host = config.http.public_url;
    if (const auto scheme = host.find("://"); scheme != std::string::npos) host.erase(0, scheme + 3);
    host = host.substr(0, host.find_first_of(":/"));
    return (host.empty() ? "localhost" : host) + ":" + std::to_string(config.solarman.port);
}

// Retention: deletes each tenant's raw samples older than its retention, every retention.purge_interval_s.
jobs::JobSpec RetentionJob(Runtime& runtime) {
    const auto interval = std::chrono::seconds(runtime.config.retention.purge_interval_s);
    return jobs::JobSpec{"retention", interval, std::chrono::minutes(5), true, [&runtime]() -> Status {
                             MH_ASSIGN_OR_RETURN(auto tenants, runtime.store->tenants().ListTenants());
                             for (const auto& t : tenants) {
                                 const auto before = runtime.clock.Now() - date::days(t.raw_retention_days);
                                 MH_ASSIGN_OR_RETURN(auto purged,
                                                     runtime.store->chunks().PurgeChunks(t.id, ToMillis(before)));
                                 if (purged > 0) spdlog::info("retention: {} old samples of {} deleted", purged, t.name);
                             }
                             return Ok();
                         }};
}

int Serve(const Config& config, bool demo) {
    // Signals are taken by sigwait below, so block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto rt = Runtime::Open(config, false);
    if (!rt) return Fail(rt.error());
    Runtime& runtime = **rt;
    if (auto status = runtime.OpenEngine(false); !status) return Fail(status.error());
    // The process's threads: every server, collector and job below runs on these.
    runtime.StartThreads(static_cast<std::size_t>(config.http.threads), 0);
    auto secret = JwtSecret(config);
    if (!secret) return Fail(secret.error());
    const domain::JwtIssuer jwt(*secret);
    api::ApiOptions api_options;
    api_options.token_lifetime = std::chrono::seconds(config.auth.token_lifetime_s);
    // One login budget for the API and the pages (two limiters would double it).
    const auto login_limits =
        std::make_shared<domain::LoginLimits>(runtime.clock, config.auth.login_attempts_per_minute);
    api_options.login_limits = login_limits;
    api_options.requests_per_minute = config.auth.api_requests_per_minute;
    api_options.public_url = config.http.public_url;
    api_options.cookie_secure = config.auth.cookie_secure;
    std::unique_ptr<net::MailOutbox> outbox;
    if (!config.mail.host.empty()) {
        net::OutboxOptions mail_options;
        auto smtp = net::SmtpOptionsFrom(config.mail);  // also checks that mail.ca_file can be read
        if (!smtp) return Fail(smtp.error());
        mail_options.smtp = std::move(*smtp);
        outbox = std::make_unique<net::MailOutbox>(mail_options, runtime.clock);
        spdlog::info("e-mails go through {}:{} (security {}{})", config.mail.host, config.mail.port,
                     config.mail.security, config.mail.username.empty() ? ", no login" : ", login");
    }
    auto mail = [&outbox, from = config.mail.from, from_name = config.mail.from_name](
                    const std::string& to, const std::string& subject, const std::string& body) {
        if (outbox) {
            outbox->Post({from, to, subject, body, from_name});
        } else {
            spdlog::info("e-mail to {} (no SMTP server configured): {}\n{}", to, subject, body);
        }
    };
    // Every device change goes through `devices`, which tells the caches that hold devices (API, collectors).
    domain::Devices devices(runtime.store->devices(), runtime.engine.get());
    api::Api api(runtime.store->repositories(), *runtime.engine, devices, runtime.clock, jwt, mail, api_options);
    devices.AddListener([&api](const domain::DeviceChange& change) { api.DevicesChanged(change); });
    // Committed samples reach the open dashboards through the live hub.
    web::LiveHub live;
    runtime.engine->SetCommitListener(
        [&live](TenantId tenant, std::span<const tsdb::SeriesSample> samples) { live.Publish(tenant, samples); });
    // On PostgreSQL, what the other instances commit and change, and what this one changes, for them.
    std::unique_ptr<InstanceFeed> feed;
    if (auto* journal = dynamic_cast<store::postgres::PostgresJournal*>(runtime.journal.get())) {
        auto& database = dynamic_cast<store::sql::SqlDatabase&>(*runtime.store);
        auto started = InstanceFeed::Start(config.storage.url, journal->origin(), database.pool(), live, devices, api);
        if (!started) return Fail(started.error());
        feed = std::move(*started);
    }
    web::SiteOptions site_options;
    site_options.session_lifetime = api_options.token_lifetime;
    site_options.cookie_secure = config.auth.cookie_secure;
    site_options.public_url = config.http.public_url;
    site_options.login_limits = login_limits;
    site_options.collector_address = CollectorAddress(config);
    site_options.api_keys_changed = [&api] { api.ApiKeysChanged(); };
    web::Site site(runtime.store->repositories(), *runtime.engine, devices, runtime.clock, mail, live, site_options);
    Frontend frontend(site, api);
    auto server = net::HttpServer::Start(ServerOptionsFrom(config), frontend, *runtime.io, *runtime.workers);
    if (!server) return Fail(server.error());
    api.AddMetricsSource([&server](std::string& out) {
        api::AppendMetric(out, "meterhub_http_open_connections", "Open HTTP connections.", api::MetricType::kGauge,
                          static_cast<std::int64_t>((*server)->open_connections()));
    });
    // Solarman loggers.
    auto maps = collect::FieldMapCatalog::Load(config.solarman.maps_dir);
    if (!maps) return Fail(maps.error());
    collect::SolarmanOptions solarman_options;
    solarman_options.max_buffer = static_cast<std::size_t>(config.solarman.max_buffer_kb) * 1024;
    std::optional<collect::SolarmanCollector> collector;
    std::unique_ptr<net::StreamServer> loggers;
    std::optional<collect::SolarmanPollers> pollers;
    if (config.solarman.enabled) {
        collector.emplace(runtime.store->repositories(), *runtime.engine, runtime.clock, *maps, *runtime.workers,
                          solarman_options);
        devices.AddListener([&collector](const domain::DeviceChange& change) {
            for (const auto* serial : {&change.serial, &change.old_serial}) {
                if (collector && !serial->empty()) collector->Forget(change.source, *serial);
            }
        });
        auto started = net::StreamServer::Start(SolarmanListenOptions(config), *collector, *runtime.io);
        if (!started) return Fail(started.error());
        loggers = std::move(*started);
        AddSolarmanMetrics(api, *collector, *loggers);
        std::cout << "meterhub: solarman loggers on port " << loggers->port() << std::endl;
        collect::PollersOptions poll_options;
        poll_options.interval = std::chrono::seconds(config.solarman.poll_interval_s);
        poll_options.rescan = std::chrono::seconds(config.solarman.poll_rescan_s);
        pollers.emplace(runtime.store->repositories(), *runtime.engine, runtime.clock, *maps, *runtime.scheduler,
                        poll_options);
        devices.AddListener([&pollers](const domain::DeviceChange& change) {
            for (const auto* serial : {&change.serial, &change.old_serial}) {
                if (pollers && !serial->empty()) pollers->Forget(change.source, *serial);
            }
        });
    }
    // One broker connection for every module that reads MQTT; its client id derives from the instance number.
    std::unique_ptr<MqttService> mqtt;
    if (MqttService::Wanted(config)) {
        auto started = MqttService::Start(config, runtime.ids->node(), api);
        if (!started) return Fail(started.error());
        mqtt = std::move(*started);
    }
    auto opendtu_mqtt = OpenDtuMqttService::Start(config, runtime, api, mqtt.get());
    if (!opendtu_mqtt) return Fail(opendtu_mqtt.error());
    spdlog::info("meterhub listening on http://{}:{} (database {})", config.http.address, (*server)->port(),
                 runtime.store->Describe());
    std::cout << "meterhub: http://localhost:" << (*server)->port() << "  (API docs: /api/docs, health: /healthz)"
              << std::endl;

    std::unique_ptr<DemoFeeder> feeder;
    std::unique_ptr<DemoLoggers> demo_loggers;
    std::unique_ptr<DemoDtu> demo_dtu;
    if (demo) {
        auto series = SetUpDemo(runtime);
        if (!series) return Fail(series.error());
        std::cout << "demo: tenant '" << kDemoTenant << "', login " << kDemoEmail << " / " << kDemoPassword << "\n"
                  << "demo: a simulated 5 kW inverter reports every " << config.demo.interval_s << " s; watch it with\n"
                  << "      meterhub --db " << config.storage.path << " query latest --tenant demo --series "
                  << series->power.value() << "\n"
                  << "      or log in to the API: curl -X POST localhost:" << (*server)->port()
                  << "/api/v1/auth/login -d '{\"email\":\"" << kDemoEmail << "\",\"password\":\"" << kDemoPassword
                  << "\"}'" << std::endl;
        feeder = std::make_unique<DemoFeeder>(runtime, *series);
        runtime.scheduler->Add(feeder->Job());
        if (loggers) {
            auto started = DemoLoggers::Start(runtime, series->tenant, loggers->port(),
                                              std::chrono::seconds(config.demo.interval_s));
            if (started) demo_loggers = std::move(*started);
            if (!started) spdlog::warn("demo: no simulated loggers: {}", started.error().message);
            if (started)
                std::cout << "demo: " << kDemoLoggers << " simulated Solarman loggers push to port " << loggers->port()
                          << " every " << config.demo.interval_s << " s" << std::endl;
        }
        if (auto dtu = DemoDtu::Start(runtime, series->tenant, (*server)->port(),
                                      std::chrono::seconds(config.demo.interval_s))) {
            demo_dtu = std::move(*dtu);
            std::cout << "demo: a simulated OpenDTU pushes " << kDemoDtuInverters
                      << " inverters to /api/opendtu/measurements every " << config.demo.interval_s << " s"
                      << std::endl;
        } else {
            spdlog::warn("demo: no simulated OpenDTU: {}", dtu.error().message);
        }
    }
    // Periodic jobs run under leases in the store, so that instances sharing a database run each once per
    // interval; local ones (the dashboards' heartbeat, the demo) on every instance.
    runtime.scheduler->Add(RetentionJob(runtime));
    if (auto compaction = runtime.CompactionJob()) runtime.scheduler->Add(std::move(*compaction));
    runtime.scheduler->Add(jobs::JobSpec{"live-heartbeat", live.heartbeat_interval(), live.heartbeat_interval(),
                                         false, [&live] {
                                             live.Heartbeat();
                                             return Ok();
                                         }});
    runtime.scheduler->Start();

    if (demo) {
        std::cout << "\n  Open http://localhost:" << (*server)->port() << "/ and log in as " << kDemoEmail << " / "
                  << kDemoPassword << "\n"
                  << std::endl;
    }
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("received {}, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    demo_loggers.reset();
    demo_dtu.reset();
    live.Close();  // ends the dashboards' event streams, which would otherwise hold the server's drain
    (*server)->Stop(std::chrono::seconds(10));  // finish in-flight requests first: their samples are acknowledged
    if (loggers) loggers->Stop();               // loggers resend what was not acknowledged
    collector.reset();
    pollers.reset();
    if (mqtt) mqtt->Stop();  // no handler runs after this; queued writes still land
    opendtu_mqtt->reset();
    mqtt.reset();
    runtime.StopThreads();  // the jobs finish; nothing runs on the pools after this
    feeder.reset();
    if (auto status = runtime.engine->Close(); !status) return Fail(status.error());
    spdlog::info("stopped; every acknowledged sample is stored");
    return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action& action) {
    auto demo = std::make_shared<bool>(false);
    auto* serve = app.add_subcommand("serve", "Run meterhub: collectors, ingest and storage until SIGINT/SIGTERM");
    serve->add_flag("--demo", *demo, "Create a demo tenant fed by simulated devices");
    serve->callback([&action, demo] { action = [demo](const Config& config) { return Serve(config, *demo); }; });
}

}  // namespace mh::cli
