// Definitions for meterhub_ingest.hpp.
#include "meterhub_ingest.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "../tsdb/support.hpp"
#include "store/postgres/sample_journal.hpp"
#include "tsdb/shared_engine.hpp"

namespace mh::bench {

double ProcessCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

IngestRun MeterhubIngest(Setup& setup, int writers, std::size_t batch) {
    store::postgres::PostgresJournal journal(setup.store().pool());
    tsdb::EngineOptions options;  // the defaults meterhub runs with
    auto engine = Must(tsdb::SharedEngine::Open(setup.store().chunks(), journal, setup.clock(), options),
                       "open the shared engine");
    const TenantScope scope = setup.scope();

    // Untimed warm-up: the engine meets each series once (a store lookup each, cached after), the pool opens its
    // connection and prepares nothing else. Then the table is emptied again.
    std::vector<tsdb::SeriesSample> first;
    for (SeriesId series : setup.series()) first.push_back({series, kT0 - kMinuteMs, 0.0});
    Must(engine->Write(scope, first), "warm-up write");
    setup.Reset();

    // The request bodies, built before the clock starts.
    const auto& rows = setup.rows();
    std::vector<std::vector<tsdb::SeriesSample>> batches;
    for (std::size_t at = 0; at < rows.size(); at += batch) {
        auto& b = batches.emplace_back();
        for (std::size_t i = at; i < std::min(rows.size(), at + batch); ++i) {
            b.push_back({SeriesId(rows[i].series), rows[i].ts_ms, rows[i].value});
        }
    }

    std::atomic<std::size_t> next{0};
    std::mutex failure_mutex;
    std::string failure;
    std::latch go(1);
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&] {
            go.wait();
            for (std::size_t i; (i = next.fetch_add(1)) < batches.size();) {
                if (Status written = engine->Write(scope, batches[i]); !written) {
                    std::lock_guard lock(failure_mutex);
                    if (failure.empty()) failure = written.error().message;
                    next.store(batches.size());  // the others stop too
                    return;
                }
            }
        });
    }
    const std::int64_t commits_before = engine->stats().log_appends;
    const double cpu_before = ProcessCpuSeconds();
    const auto start = SteadyClock::now();
    go.count_down();
    for (auto& t : threads) t.join();
    IngestRun run;
    run.seconds = Seconds(SteadyClock::now() - start);
    run.cpu_seconds = ProcessCpuSeconds() - cpu_before;
    run.commits = engine->stats().log_appends - commits_before;
    run.samples = static_cast<std::int64_t>(rows.size());
    Must(engine->Close(), "close the engine");
    if (!failure.empty()) throw Failure("meterhub ingest: a batch was refused: " + failure);
    if (const std::int64_t stored = setup.CountRows(); stored != run.samples) {
        throw Failure(
            fmt::format("meterhub ingest: samples_raw holds {} rows, {} were acknowledged", stored, run.samples));
    }
    return run;
}

}  // namespace mh::bench
