// MQTT request/reply through a real broker on loopback (bench/mqtt_bench starts Mosquitto and runs this).
//
// The server side is what is measured: one net::MqttClient subscribed to `a/+`, its handler (on a two-thread
// ThreadExecutor) answering each request on `a/<n>/reply`. The load: N requesters, each with its own broker
// connection and client id (they share no connection), each keeping one request outstanding. All requesters are
// driven by one poll() thread in this process with plain libmosquitto, so that 1,000 of them do not need 1,000
// threads. Prints round trips/s, messages/s handled by the server (a request in, a reply out) and p50/p99 of the
// round trip seen by the requesters.
//
// Usage: mqtt_bench --port PORT [--requesters N] [--seconds S] [--warmup S] [--qos 0|1]
#include <mosquitto.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/thread_executor.hpp"
#include "net/mqtt_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    int port = 0;
    int requesters = 100;
    double seconds = 10;
    double warmup = 2;
    int qos = 1;
};

Args Parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--port")
            a.port = std::atoi(v);
        else if (k == "--requesters")
            a.requesters = std::atoi(v);
        else if (k == "--seconds")
            a.seconds = std::atof(v);
        else if (k == "--warmup")
            a.warmup = std::atof(v);
        else if (k == "--qos")
            a.qos = std::atoi(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            std::exit(2);
        }
    }
    if (a.port <= 0 || a.requesters <= 0 || (a.qos != 0 && a.qos != 1)) {
        std::fprintf(stderr, "usage: mqtt_bench --port PORT [--requesters N] [--seconds S] [--warmup S] [--qos 0|1]\n");
        std::exit(2);
    }
    return a;
}

struct Bench;

struct Requester {
    Bench* bench = nullptr;
    int index = 0;
    mosquitto* mosq = nullptr;
    std::string topic, reply_topic;
    std::uint64_t seq = 0;
    Clock::time_point sent;
    bool subscribed = false;
};

struct Bench {
    Args args;
    std::vector<Requester> requesters;
    int subscribed = 0;
    bool running = false;
    Clock::time_point measure_from, measure_until;
    std::vector<double> latencies_us;  // round trips completed inside the measured window
    std::uint64_t mismatched = 0;

    void Send(Requester& r) {
        const std::string payload = std::to_string(r.index) + ":" + std::to_string(++r.seq);
        r.sent = Clock::now();
        const int rc = mosquitto_publish(r.mosq, nullptr, r.topic.c_str(), static_cast<int>(payload.size()),
                                         payload.data(), args.qos, false);
        if (rc != MOSQ_ERR_SUCCESS) std::fprintf(stderr, "publish %s: %s\n", r.topic.c_str(), mosquitto_strerror(rc));
    }
};

void OnSubscribe(mosquitto*, void* p, int, int, const int*) {
    auto* r = static_cast<Requester*>(p);
    if (!r->subscribed) {
        r->subscribed = true;
        ++r->bench->subscribed;
    }
}

void OnConnect(mosquitto* m, void* p, int rc) {
    auto* r = static_cast<Requester*>(p);
    if (rc != 0) {
        std::fprintf(stderr, "requester %d refused: %s\n", r->index, mosquitto_connack_string(rc));
        std::exit(1);
    }
    mosquitto_subscribe(m, nullptr, r->reply_topic.c_str(), r->bench->args.qos);
}

void OnMessage(mosquitto*, void* p, const mosquitto_message* message) {
    auto* r = static_cast<Requester*>(p);
    Bench& b = *r->bench;
    const auto now = Clock::now();
    const std::string expected = std::to_string(r->index) + ":" + std::to_string(r->seq);
    if (std::string_view(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen)) !=
        expected) {
        ++b.mismatched;
        return;
    }
    if (r->sent >= b.measure_from && now <= b.measure_until) {
        b.latencies_us.push_back(std::chrono::duration<double, std::micro>(now - r->sent).count());
    }
    if (b.running) b.Send(*r);
}

double Percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    Bench bench;
    bench.args = Parse(argc, argv);
    const Args& args = bench.args;
    mosquitto_lib_init();

    // The server side under test: one MqttClient, handlers on two worker threads.
    mh::ThreadExecutor workers(2, "responder");
    mh::net::MqttOptions o;
    o.port = static_cast<std::uint16_t>(args.port);
    o.client_id = "bench-responder";
    o.max_pending = 100'000;
    o.max_outgoing = 100'000;
    auto started = mh::net::MqttClient::Start(o, workers);
    if (!started) {
        std::fprintf(stderr, "responder: %s\n", started.error().message.c_str());
        return 1;
    }
    auto& responder = **started;
    std::atomic<std::uint64_t> refused{0};
    const int qos = args.qos;
    if (!responder.Subscribe("a/+", qos, [&responder, &refused, qos](const mh::net::MqttMessage& m) {
            if (!responder.Publish(m.topic + "/reply", m.payload, qos)) refused.fetch_add(1);
        })) {
        return 1;
    }

    bench.requesters.resize(static_cast<std::size_t>(args.requesters));
    for (int i = 0; i < args.requesters; ++i) {
        auto& r = bench.requesters[static_cast<std::size_t>(i)];
        r.bench = &bench;
        r.index = i;
        r.topic = "a/" + std::to_string(i);
        r.reply_topic = r.topic + "/reply";
        r.mosq = mosquitto_new(("bench-requester-" + std::to_string(i)).c_str(), true, &r);
        mosquitto_int_option(r.mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
        mosquitto_int_option(r.mosq, MOSQ_OPT_TCP_NODELAY, 1);  // as MqttClient does
        mosquitto_connect_callback_set(r.mosq, OnConnect);
        mosquitto_subscribe_callback_set(r.mosq, OnSubscribe);
        mosquitto_message_callback_set(r.mosq, OnMessage);
        if (const int rc = mosquitto_connect(r.mosq, "127.0.0.1", args.port, 60); rc != MOSQ_ERR_SUCCESS) {
            std::fprintf(stderr, "requester %d: %s (fd limit? ulimit -n)\n", i, mosquitto_strerror(rc));
            return 1;
        }
    }

    std::vector<pollfd> fds(bench.requesters.size());
    auto turn = [&](int timeout_ms) {
        for (std::size_t i = 0; i < fds.size(); ++i) {
            auto* m = bench.requesters[i].mosq;
            fds[i] = {mosquitto_socket(m), static_cast<short>(POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0)), 0};
        }
        poll(fds.data(), fds.size(), timeout_ms);
        for (std::size_t i = 0; i < fds.size(); ++i) {
            auto* m = bench.requesters[i].mosq;
            if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) mosquitto_loop_read(m, 1);
            if (mosquitto_want_write(m)) mosquitto_loop_write(m, 1);
        }
    };
    const auto ready_by = Clock::now() + std::chrono::seconds(30);
    while ((bench.subscribed < args.requesters || responder.stats().subscribed < 1) && Clock::now() < ready_by) {
        turn(10);
    }
    if (bench.subscribed < args.requesters || responder.stats().subscribed < 1) {
        std::fprintf(stderr, "not every connection subscribed within 30 s (%d of %d)\n", bench.subscribed,
                     args.requesters);
        return 1;
    }

    const auto start = Clock::now();
    bench.measure_from =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.warmup));
    bench.measure_until =
        bench.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.seconds));
    bench.running = true;
    for (auto& r : bench.requesters) bench.Send(r);
    auto misc_at = Clock::now();
    while (Clock::now() < bench.measure_until) {
        turn(10);
        if (Clock::now() - misc_at > std::chrono::seconds(1)) {
            for (auto& r : bench.requesters) mosquitto_loop_misc(r.mosq);  // keep-alive pings
            misc_at = Clock::now();
        }
    }
    bench.running = false;
    // Let the outstanding round trips finish, so the server side is idle when we read its counters.
    const auto drain_by = Clock::now() + std::chrono::seconds(5);
    while (responder.stats().pending > 0 && Clock::now() < drain_by) turn(10);

    auto& lat = bench.latencies_us;
    const double round_trips = static_cast<double>(lat.size()) / args.seconds;
    const double p50 = Percentile(lat, 0.50) / 1000, p99 = Percentile(lat, 0.99) / 1000;
    const auto s = responder.stats();
    std::printf("requesters %d (own connections), QoS %d, %.0f s measured after %.0f s warm-up\n", args.requesters,
                args.qos, args.seconds, args.warmup);
    std::printf(
        "round trips/s %.0f   messages/s %.0f (request in + reply out at the server)   p50 %.2f ms   p99 %.2f ms\n",
        round_trips, 2 * round_trips, p50, p99);
    std::printf("server: received %llu, dropped %llu, publish refused %llu, mismatched replies %llu\n",
                static_cast<unsigned long long>(s.received), static_cast<unsigned long long>(s.dropped),
                static_cast<unsigned long long>(refused.load()), static_cast<unsigned long long>(bench.mismatched));
    responder.Stop();
    for (auto& r : bench.requesters) {
        mosquitto_disconnect(r.mosq);
        mosquitto_destroy(r.mosq);
    }
    return s.dropped == 0 && refused.load() == 0 && bench.mismatched == 0 ? 0 : 1;
}
