// Part (e), recovery, with (c) for random doubles: samples left in the sample log, then LocalEngine::Open replays them
// in a fresh process. The parent (RunRecoveryPart) starts this same executable as
// `tsdb_bench --internal-recover=DIR --internal-now=MS`, which main() hands to RecoverChild.
#pragma once

#include <cstdint>

#include "report.hpp"
#include "support.hpp"

namespace mh::bench {

// The child side (--internal-recover=DIR --internal-now=MS): what meterhub does at start-up, timed. Prints
// "<store open s> <engine open s> <replayed samples> <peak RSS MiB>" and exits without tearing anything down.
[[noreturn]] void RecoverChild(const fs::path& dir, std::int64_t now_ms);

// (e) + (c, random doubles): samples left in the log, then LocalEngine::Open replays them.
void RunRecoveryPart(Context& ctx, const fs::path& root);

}  // namespace mh::bench
