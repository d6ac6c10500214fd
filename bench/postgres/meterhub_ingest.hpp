// Part (a) of the PostgreSQL ingest bench: meterhub's own path. A tsdb::SharedEngine on the bench's database,
// fed by `writers` threads that each send one batch of `batch` consecutive rows at a time through Write() and wait
// for its acknowledgement (= committed in PostgreSQL), as devices pushing over HTTP do. The writers take the
// next batch from one shared counter, so the samples reach the engine in time order. Runs on the main thread,
// starts and joins its writer threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "setup.hpp"

namespace mh::bench {

struct IngestRun {
    double seconds = 0;
    std::int64_t samples = 0;
    std::int64_t commits = 0;  // group commits (one COPY transaction each)
    double cpu_seconds = 0;    // this process's CPU (user + system, all threads) meanwhile; the server's is not in it
    double samples_per_s() const { return static_cast<double>(samples) / seconds; }
    double samples_per_commit() const { return static_cast<double>(samples) / static_cast<double>(commits); }
};

// This process's CPU time so far (getrusage, every thread).
double ProcessCpuSeconds();

// Writes every row of `setup` into an empty samples_raw; Failure when a batch is refused or the table then does
// not hold exactly the rows.
IngestRun MeterhubIngest(Setup& setup, int writers, std::size_t batch);

}  // namespace mh::bench
