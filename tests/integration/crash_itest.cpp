// Durability: kill meterhub with SIGKILL in the middle of ingest, start again, and find every sample it had
// acknowledged, exactly once. And a clean stop of `serve` keeps everything too.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "process.hpp"

namespace mh::testing {
namespace {

constexpr int kSeries = 50;
constexpr std::int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kIntervalMs = 60'000;

// series metric -> timestamps, from a CSV export of the load generator's device.
std::map<std::string, std::vector<std::string>> ExportedTimestamps(const std::string& db) {
    auto devices = RunMeterhub({"--db", db, "device", "list", "--tenant", "crash"});
    EXPECT_EQ(devices.exit_code, 0) << devices.err;
    std::istringstream table(devices.out);
    std::string line;
    std::getline(table, line);
    std::getline(table, line);
    const std::string device = line.substr(0, line.find(' '));
    auto csv = RunMeterhub({"--db", db, "export", "--tenant", "crash", "--device", device, "--from",
                            "2025-12-31T00:00:00Z", "--to", "2027-01-01T00:00:00Z"});
    EXPECT_EQ(csv.exit_code, 0) << csv.err;
    std::map<std::string, std::vector<std::string>> out;
    std::istringstream rows(csv.out);
    std::getline(rows, line);  // header
    while (std::getline(rows, line)) {
        // timestamp_utc,local_time,series_id,metric,unit,value
        std::vector<std::string> cells;
        std::istringstream row(line);
        for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
        out[cells.at(3)].push_back(cells.at(0));
    }
    return out;
}

void ExpectEveryAcknowledgedSampleOnce(const std::string& db, std::int64_t acked) {
    const auto exported = ExportedTimestamps(db);
    std::int64_t total = 0;
    for (int k = 0; k < kSeries; ++k) {
        const std::string metric = "load." + std::to_string(k);
        auto it = exported.find(metric);
        const std::vector<std::string> none;
        const auto& ts = it == exported.end() ? none : it->second;
        // Step-major order: sample i is series i % kSeries at step i / kSeries.
        const std::int64_t must = acked / kSeries + (k < acked % kSeries ? 1 : 0);
        ASSERT_GE(static_cast<std::int64_t>(ts.size()), must) << metric << " lost acknowledged samples";
        for (std::size_t i = 1; i < ts.size(); ++i) ASSERT_LT(ts[i - 1], ts[i]) << metric << " has a duplicate";
        total += static_cast<std::int64_t>(ts.size());
    }
    EXPECT_GE(total, acked);
}

TEST(Crash, SigkillMidIngestLosesNoAcknowledgedSample) {
    TempDir dir;
    const std::string db = dir.File("m.db");
    std::int64_t acked = 0;
    {
        Background load({"--db", db, "--log-level", "warn", "sim", "load", "--tenant", "crash", "--series",
                         std::to_string(kSeries), "--samples", "40000", "--batch", "500", "--start",
                         "2026-01-01T00:00:00Z", "--interval", "60"});
        // Kill it somewhere in the middle of ingest.
        while (auto line = load.ReadLine()) {
            if (line->rfind("acked ", 0) == 0) acked = std::stoll(line->substr(6));
            if (acked >= 150'000) break;
        }
        ASSERT_GE(acked, 150'000) << "the load generator ended early";
        EXPECT_EQ(load.Stop(SIGKILL), 128 + SIGKILL);
    }
    // A reader replays the log the killed process left behind.
    ExpectEveryAcknowledgedSampleOnce(db, acked);
    // A writer recovers it (replay, then checkpoint into chunks on close), and the answer is the same.
    auto recover = RunMeterhub({"--db", db, "sim", "load", "--tenant", "other", "--series", "1", "--samples", "1"});
    ASSERT_EQ(recover.exit_code, 0) << recover.err;
    EXPECT_NE(recover.err.find("replayed"), std::string::npos) << recover.err;
    ExpectEveryAcknowledgedSampleOnce(db, acked);
    auto status = RunMeterhub({"--db", db, "db", "status"});
    EXPECT_NE(status.out.find("chunks:"), std::string::npos);
}

TEST(Serve, DemoFeedsTheRealWritePathAndStopsCleanlyOnSigterm) {
    TempDir dir;
    const std::string db = dir.File("m.db");
    Background serve({"--db", db, "--set", "demo.interval_s=1", "--set", "http.port=0", "--set", "solarman.port=0",
                      "serve", "--demo"});
    std::string series;
    while (auto line = serve.ReadLine()) {
        const auto at = line->find("--series ");
        if (at != std::string::npos) {
            series = line->substr(at + 9);
            break;
        }
    }
    ASSERT_FALSE(series.empty()) << "serve --demo did not print how to query it";
    // Wait (bounded) for a sample to arrive through the engine.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    RunResult latest;
    do {
        latest = RunMeterhub({"--db", db, "query", "latest", "--tenant", "demo", "--series", series, "--json"});
        if (latest.exit_code == 0 && latest.out.find("\"value\"") != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    ASSERT_NE(latest.out.find("\"value\""), std::string::npos) << latest.out << latest.err;

    EXPECT_EQ(serve.Stop(SIGTERM), 0);
    // After a clean stop the samples are in chunks and still there.
    auto after = RunMeterhub({"--db", db, "query", "latest", "--tenant", "demo", "--series", series, "--json"});
    EXPECT_NE(after.out.find("\"value\""), std::string::npos);
    auto status = RunMeterhub({"--db", db, "db", "status"});
    EXPECT_EQ(status.out.find("chunks:         0 "), std::string::npos) << status.out;
}

}  // namespace
}  // namespace mh::testing
