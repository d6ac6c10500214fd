// Definitions for query.hpp.
#include "query.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "data.hpp"
#include "fixture.hpp"
#include "sqlite_baseline.hpp"
#include "tsdb/engine.hpp"
#include "tsdb/query.hpp"

namespace mh::bench {

void RunQueryPart(Context& ctx, const fs::path& root) {
    const Options& o = ctx.options;
    const std::int64_t samples = kYearMs / kMinuteMs;  // always a full year: the figure is about that range
    const std::int64_t end = kT0 + samples * kMinuteMs;
    fmt::print("\n[query] 1 series, {} samples (one year, 1 minute apart); the last day still in memory\n",
               Report::Number(static_cast<double>(samples)));
    Fixture fx(root, "query", end + kHourMs);
    fx.AddSeries(1, 1);
    const SeriesId series = fx.series().front();
    tsdb::EngineOptions options;
    options.chunk_samples = 240;
    auto engine = fx.OpenEngine(options);
    auto write = [&](std::int64_t from_step, std::int64_t to_step) {
        std::vector<tsdb::SeriesSample> batch;
        for (std::int64_t i = from_step; i < to_step; ++i) {
            const std::int64_t ts = kT0 + i * kMinuteMs;
            batch.push_back({series, ts, PowerCurve(0, ts)});
            if (batch.size() == 10'000 || i + 1 == to_step) {
                Must(engine->Write(fx.scope(), batch), "write");
                batch.clear();
            }
        }
    };
    const std::int64_t in_memory = kDayMs / kMinuteMs;
    write(0, samples - in_memory);
    Must(engine->Checkpoint(), "checkpoint");
    write(samples - in_memory, samples);

    std::mt19937_64 random(20260101);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(random);
    };
    // "Year" ranges: most of the year, both ends moved by up to a week.
    std::vector<std::pair<std::int64_t, std::int64_t>> year_ranges;
    for (int i = 0; i < o.query_reps; ++i)
        year_ranges.emplace_back(kT0 + uniform(0, 7 * kDayMs), end - uniform(0, 7 * kDayMs));
    // "Mixed" ranges: log-uniform length from 1 hour to a year, anywhere in it.
    std::vector<std::pair<std::int64_t, std::int64_t>> mixed_ranges;
    for (int i = 0; i < o.query_reps; ++i) {
        const double log_len = std::uniform_real_distribution<double>(std::log(static_cast<double>(kHourMs)),
                                                                      std::log(static_cast<double>(kYearMs)))(random);
        const auto len = static_cast<std::int64_t>(std::exp(log_len));
        const std::int64_t from = kT0 + uniform(0, kYearMs - len);
        mixed_ranges.emplace_back(from, from + len);
    }

    auto time_queries = [&](const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
        std::vector<double> ms;
        for (const auto& [from, to] : ranges) {
            const auto start = SteadyClock::now();
            auto result = Must(tsdb::QueryRange(*engine, fx.scope(), series, from, to, 1000), "query");
            benchmark::DoNotOptimize(result.points.data());
            ms.push_back(Ms(SteadyClock::now() - start));
            if (result.points.empty() || result.points.size() > 1000) {
                throw Failure(fmt::format("query returned {} points", result.points.size()));
            }
        }
        return Summarise(std::move(ms));
    };
    (void)time_queries({year_ranges.front()});  // warm the caches once
    const auto year = time_queries(year_ranges);
    ctx.report.Add("query.year.p50_ms", "QueryRange ~1 year -> 1,000 points: p50", year.p50, "ms");
    ctx.report.AddTarget("query.year.p99_ms", "QueryRange ~1 year -> 1,000 points: p99", year.p99, "ms", 10.0, false);
    const auto mixed = time_queries(mixed_ranges);
    ctx.report.Add("query.mixed.p50_ms", "QueryRange 1 h..1 year (log-uniform) -> <= 1,000 points: p50", mixed.p50,
                   "ms");
    ctx.report.AddTarget("query.mixed.p99_ms", "QueryRange 1 h..1 year (log-uniform) -> <= 1,000 points: p99",
                         mixed.p99, "ms", 10.0, false);

    const int scan_reps = std::max(10, o.query_reps / 5);
    {
        (void)Must(engine->ReadRaw(fx.scope(), series, kT0, end), "read raw");  // warm up once, like the queries
        std::vector<double> ms;
        for (int i = 0; i < scan_reps; ++i) {
            const auto start = SteadyClock::now();
            auto raw = Must(engine->ReadRaw(fx.scope(), series, kT0, end), "read raw");
            benchmark::DoNotOptimize(raw.data());
            ms.push_back(Ms(SteadyClock::now() - start));
            if (static_cast<std::int64_t>(raw.size()) != samples) throw Failure("read raw: wrong sample count");
        }
        const auto scan = Summarise(std::move(ms));
        ctx.report.Add("query.engine_raw_year.p50_ms", "baseline: engine ReadRaw of the whole year: p50", scan.p50,
                       "ms");
        ctx.report.Add("query.engine_raw_year.p99_ms", "baseline: engine ReadRaw of the whole year: p99", scan.p99,
                       "ms");
    }
    engine.reset();

    // The same year in the bare SQLite table.
    const std::string path = (fx.dir() / "bare-year.db").string();
    Db db(path);
    db.Exec("PRAGMA journal_mode = WAL");
    db.Exec("PRAGMA synchronous = NORMAL");
    db.Exec("CREATE TABLE s(series INTEGER, ts INTEGER, value REAL, PRIMARY KEY(series, ts)) WITHOUT ROWID");
    {
        Db::Stmt insert(db, "INSERT INTO s(series, ts, value) VALUES (1, ?, ?)");
        db.Exec("BEGIN");
        for (std::int64_t i = 0; i < samples; ++i) {
            const std::int64_t ts = kT0 + i * kMinuteMs;
            insert.Bind(1, ts);
            insert.Bind(2, PowerCurve(0, ts));
            insert.Step();
            insert.Reset();
        }
        db.Exec("COMMIT");
    }
    {
        Db::Stmt scan(db, "SELECT ts, value FROM s WHERE series = 1 AND ts BETWEEN ? AND ?");
        std::vector<double> ms;
        for (int i = -1; i < scan_reps; ++i) {  // -1: warm-up, not counted
            const auto start = SteadyClock::now();
            scan.Bind(1, kT0);
            scan.Bind(2, end);
            std::vector<tsdb::Sample> rows;
            while (scan.Step()) rows.push_back({scan.Int(0), scan.Double(1)});
            scan.Reset();
            benchmark::DoNotOptimize(rows.data());
            if (i >= 0) ms.push_back(Ms(SteadyClock::now() - start));
            if (static_cast<std::int64_t>(rows.size()) != samples) throw Failure("sqlite scan: wrong row count");
        }
        const auto s = Summarise(std::move(ms));
        ctx.report.Add("query.sqlite_raw_year.p50_ms", "baseline: bare SQLite table, scan of the whole year: p50",
                       s.p50, "ms");
        ctx.report.Add("query.sqlite_raw_year.p99_ms", "baseline: bare SQLite table, scan of the whole year: p99",
                       s.p99, "ms");
    }
    {
        // What a dashboard on the bare table would run for the same "year" ranges: 1,000 buckets in SQL.
        Db::Stmt grouped(db,
                         "SELECT (ts - ?1) / ?3 AS b, AVG(value), MIN(value), MAX(value), COUNT(*) FROM s "
                         "WHERE series = 1 AND ts BETWEEN ?1 AND ?2 GROUP BY b ORDER BY b");
        std::vector<double> ms;
        for (int i = -1; i < scan_reps; ++i) {  // -1: warm-up, not counted
            const auto& [from, to] = year_ranges[static_cast<std::size_t>(i + 1) % year_ranges.size()];
            const auto start = SteadyClock::now();
            grouped.Bind(1, from);
            grouped.Bind(2, to);
            grouped.Bind(3, (to - from) / 1000 + 1);
            std::vector<tsdb::Point> points;
            while (grouped.Step()) {
                points.push_back(
                    {grouped.Int(0), grouped.Double(1), grouped.Double(2), grouped.Double(3), grouped.Int(4)});
            }
            grouped.Reset();
            benchmark::DoNotOptimize(points.data());
            if (i >= 0) ms.push_back(Ms(SteadyClock::now() - start));
        }
        const auto g = Summarise(std::move(ms));
        ctx.report.Add("query.sqlite_grouped_year.p50_ms",
                       "baseline: bare SQLite table, GROUP BY to 1,000 points (~1 year): p50", g.p50, "ms");
        ctx.report.Add("query.sqlite_grouped_year.p99_ms",
                       "baseline: bare SQLite table, GROUP BY to 1,000 points (~1 year): p99", g.p99, "ms");
    }
}

}  // namespace mh::bench
