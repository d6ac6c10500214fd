// Part (d), queries: one series, one year of 1-minute data; QueryRange to 1,000 points over "year" and mixed
// ranges, next to the engine's raw read of the year and the bare SQLite table's scan and GROUP BY.
#pragma once

#include "report.hpp"
#include "support.hpp"

namespace mh::bench {

// (d) One series, one year of 1-minute data; QueryRange to 1,000 points against raw scans.
void RunQueryPart(Context& ctx, const fs::path& root);

}  // namespace mh::bench
