// Definitions for libpq_baselines.hpp. The COPY encoding is written out here rather than taken from
// store/postgres/copy_binary.hpp, so that the ceiling owes nothing to the code it is the ceiling of.
#include "libpq_baselines.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <string>

#include "../tsdb/support.hpp"

namespace mh::bench {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;

// Appends `value`'s low `bytes` bytes, most significant first (network order).
void PutBig(std::string& out, std::uint64_t value, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

// One row of the binary COPY format: field count, then each field as its length and its bytes.
void PutRow(std::string& out, const Row& row) {
    PutBig(out, 4, 2);
    for (std::uint64_t field : {static_cast<std::uint64_t>(row.series), static_cast<std::uint64_t>(row.tenant),
                                static_cast<std::uint64_t>(row.ts_ms), std::bit_cast<std::uint64_t>(row.value)}) {
        PutBig(out, 8, 4);
        PutBig(out, field, 8);
    }
}

void CheckStored(Setup& setup, const char* part, std::int64_t written, const std::string& table = "samples_raw") {
    if (const std::int64_t stored = setup.CountRows(table); stored != written) {
        throw Failure(fmt::format("{}: {} holds {} rows, {} were written", part, table, stored, written));
    }
}

}  // namespace

IngestRun CopyCeiling(Setup& setup, std::size_t batch, const std::string& table) {
    Pg pg(setup.url());
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its terminating 0
    const auto& rows = setup.rows();
    std::string data;
    data.reserve(19 + batch * 46 + 2);
    const std::string copy = "COPY " + table + " (series_id, tenant_id, ts, value) FROM STDIN (FORMAT binary)";
    IngestRun run;
    const double cpu_before = ProcessCpuSeconds();
    const auto start = SteadyClock::now();
    for (std::size_t at = 0; at < rows.size(); at += batch) {
        data.assign(kSignature, sizeof(kSignature));
        PutBig(data, 0, 4);  // flags
        PutBig(data, 0, 4);  // header extension length
        const std::size_t end = std::min(rows.size(), at + batch);
        for (std::size_t i = at; i < end; ++i) PutRow(data, rows[i]);
        PutBig(data, 0xffff, 2);  // trailer: -1 fields

        PGresult* started = PQexec(pg.get(), copy.c_str());
        const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
        PQclear(started);
        if (!copying) throw Failure(std::string("bare COPY: ") + PQerrorMessage(pg.get()));
        if (PQputCopyData(pg.get(), data.data(), static_cast<int>(data.size())) != 1 ||
            PQputCopyEnd(pg.get(), nullptr) != 1) {
            throw Failure(std::string("bare COPY: sending: ") + PQerrorMessage(pg.get()));
        }
        bool ok = true;
        while (PGresult* result = PQgetResult(pg.get())) {
            ok = ok && PQresultStatus(result) == PGRES_COMMAND_OK;
            PQclear(result);
        }
        if (!ok) throw Failure(std::string("bare COPY: ") + PQerrorMessage(pg.get()));
        run.samples += static_cast<std::int64_t>(end - at);
        ++run.commits;
    }
    run.seconds = Seconds(SteadyClock::now() - start);
    run.cpu_seconds = ProcessCpuSeconds() - cpu_before;
    CheckStored(setup, "bare COPY", run.samples, table);
    return run;
}

IngestRun InsertPerSample(Setup& setup, double seconds) {
    Pg pg(setup.url());
    const Oid types[4] = {kInt8Oid, kInt8Oid, kInt8Oid, kFloat8Oid};
    PGresult* prepared =
        PQprepare(pg.get(), "insert_sample",
                  "INSERT INTO samples_raw (series_id, tenant_id, ts, value) VALUES ($1, $2, $3, $4)", 4, types);
    const bool ok = PQresultStatus(prepared) == PGRES_COMMAND_OK;
    PQclear(prepared);
    if (!ok) throw Failure(std::string("prepare INSERT: ") + PQerrorMessage(pg.get()));

    const auto& rows = setup.rows();
    const int lengths[4] = {8, 8, 8, 8};
    const int formats[4] = {1, 1, 1, 1};
    IngestRun run;
    const auto start = SteadyClock::now();
    const auto stop = start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
    for (std::size_t i = 0; i < rows.size() && SteadyClock::now() < stop; ++i) {
        std::string params;
        for (std::uint64_t field :
             {static_cast<std::uint64_t>(rows[i].series), static_cast<std::uint64_t>(rows[i].tenant),
              static_cast<std::uint64_t>(rows[i].ts_ms), std::bit_cast<std::uint64_t>(rows[i].value)}) {
            PutBig(params, field, 8);
        }
        const char* values[4] = {params.data(), params.data() + 8, params.data() + 16, params.data() + 24};
        PGresult* result = PQexecPrepared(pg.get(), "insert_sample", 4, values, lengths, formats, 1);
        const bool inserted = PQresultStatus(result) == PGRES_COMMAND_OK;
        PQclear(result);
        if (!inserted) throw Failure(std::string("INSERT: ") + PQerrorMessage(pg.get()));
        ++run.samples;
        ++run.commits;
    }
    run.seconds = Seconds(SteadyClock::now() - start);
    CheckStored(setup, "INSERT per sample", run.samples);
    return run;
}

}  // namespace mh::bench
