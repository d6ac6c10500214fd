// Definitions for fixture.hpp.
#include "fixture.hpp"

#include <utility>

#include "sqlite_baseline.hpp"
#include "tsdb/local_engine.hpp"

namespace mh::bench {

Fixture::Fixture(const fs::path& root, const std::string& name, std::int64_t now_ms)
    : dir_(root, name), clock_(FromMillis(now_ms)), ids_(clock_, 1) {
    store_ = Must(store::sqlite::Open(db_path(), clock_, ids_, {}), "open store");
    tenant_ = Must(store_->tenants().CreateTenant({"bench", "Europe/Berlin", 730}), "create tenant");
}

double Fixture::AddSeries(std::size_t count, std::size_t per_device) {
    const auto start = SteadyClock::now();
    store::Device device;
    for (std::size_t i = 0; i < count; ++i) {
        if (i % per_device == 0) {
            const std::size_t d = i / per_device;
            device = Must(store_->devices().CreateDevice(scope(), {fmt::format("inverter {}", d), "generic",
                                                         fmt::format("SN{:08d}", d), "bench", ""}),
                          "create device");
        }
        auto series = Must(store_->devices().EnsureSeries(scope(), {device.id, fmt::format("power.{}", i % per_device), "W",
                                                          store::SeriesKind::kGauge}),
                           "create series");
        series_.push_back(series.id);
    }
    return Seconds(SteadyClock::now() - start);
}

std::unique_ptr<tsdb::Engine> Fixture::OpenEngine(tsdb::EngineOptions options) {
    options.log_dir = log_dir();
    return Must(tsdb::LocalEngine::Open(store_->chunks(), clock_, std::move(options)), "open engine");
}

void ReportDisk(Context& ctx, Fixture& fx, const std::string& key, const std::string& what, std::int64_t samples) {
    const auto stats = Must(fx.store().chunks().ChunkStats(), "chunk stats");
    if (stats.samples != samples) {
        throw Failure(fmt::format("{}: chunks hold {} samples, expected {}", key, stats.samples, samples));
    }
    const auto n = static_cast<double>(samples);
    ctx.report.Add("bytes." + key + ".chunk_bytes_per_sample", what + ": chunk data bytes per sample",
                   static_cast<double>(stats.chunk_bytes) / n, "B/sample");
    const DiskUse disk = MeasureDisk(fx.db_path());
    ctx.report.Add("bytes." + key + ".file_bytes_per_sample", what + ": database file bytes per sample",
                   disk.file_bytes / n, "B/sample");
    if (disk.by_table.contains("chunks")) {
        ctx.report.Add("bytes." + key + ".chunks_table_bytes_per_sample", what + ": chunks table pages per sample",
                       disk.by_table.at("chunks") / n, "B/sample");
        ctx.report.Add("bytes." + key + ".chunks_table_fill_pct", what + ": chunks table, row bytes / page bytes",
                       100.0 * disk.payload.at("chunks") / disk.by_table.at("chunks"), "%");
    }
    if (disk.by_table.contains("rollups")) {
        ctx.report.Add("bytes." + key + ".rollups_table_bytes_per_sample", what + ": rollups table pages per sample",
                       disk.by_table.at("rollups") / n, "B/sample");
        ctx.report.Add("bytes." + key + ".rollups_table_fill_pct", what + ": rollups table, row bytes / page bytes",
                       100.0 * disk.payload.at("rollups") / disk.by_table.at("rollups"), "%");
    }
    if (disk.rollup_rows) {
        ctx.report.Add("bytes." + key + ".rollup_rows_per_sample", what + ": rollup rows per sample",
                       *disk.rollup_rows / n, "rows");
    }
    ctx.report.Add("bytes." + key + ".free_bytes_per_sample", what + ": free pages per sample", disk.free_bytes / n,
                   "B/sample");
}

}  // namespace mh::bench
