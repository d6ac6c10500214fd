// Parts (b) and (c) of the PostgreSQL ingest bench: what meterhub is compared with, as small libpq programs
// would write it, on one connection of their own and into the same samples_raw, the same rows in the same order.
//   CopyCeiling      (b) binary COPY in batches of `batch` rows, each COPY its own transaction (one commit):
//                        the ceiling, nothing between the rows and the server but libpq. Into `table`: samples_raw,
//                        or a copy of its shape without the index (Setup::MakeUnindexed), to show what that costs.
//   InsertPerSample  (c) one INSERT per sample, each committed on its own (autocommit), for `seconds` or until
//                        the rows run out: the predecessor's way.
// Both start from an empty table, and fail (Failure) when a statement fails or the table then does not hold
// exactly what was written. Run on the calling thread.
#pragma once

#include <cstddef>
#include <string>

#include "meterhub_ingest.hpp"
#include "setup.hpp"

namespace mh::bench {

IngestRun CopyCeiling(Setup& setup, std::size_t batch, const std::string& table = "samples_raw");
IngestRun InsertPerSample(Setup& setup, double seconds);

}  // namespace mh::bench
