// The [tsdb] section on its own.
#include "tsdb/tsdb_config.hpp"

#include <gtest/gtest.h>

namespace mh::tsdb {
namespace {

std::string Verdict(const TsdbConfig& config) {
    auto status = config.Validate();
    return status ? std::string("valid") : status.error().message;
}

TEST(TsdbConfigTest, DefaultsAreValidAndEachLimitIsChecked) {
    TsdbConfig tsdb;
    EXPECT_EQ(Verdict(tsdb), "valid");
    tsdb.checkpoint_interval_s = 86'401;
    EXPECT_EQ(Verdict(tsdb), "config: tsdb.checkpoint_interval_s must be between 1 and 86400");
    tsdb = {};
    tsdb.checkpoint_log_mb = 0;
    EXPECT_EQ(Verdict(tsdb), "config: tsdb.checkpoint_log_mb must be at least 1");
    tsdb = {};
    tsdb.max_queue_samples = 999;
    EXPECT_EQ(Verdict(tsdb), "config: tsdb.max_queue_samples must be at least 1000");
    tsdb = {};
    tsdb.chunk_samples = 15;
    EXPECT_EQ(Verdict(tsdb), "config: tsdb.chunk_samples must be 16..65536");
    tsdb.chunk_samples = 65'536;
    EXPECT_EQ(Verdict(tsdb), "valid");
    tsdb = {};
    tsdb.gap_cap_s = 0;
    EXPECT_EQ(Verdict(tsdb), "config: tsdb.gap_cap_s must be positive");
    tsdb = {};
    tsdb.max_future_s = -1;
    EXPECT_EQ(Verdict(tsdb), "config: tsdb.max_future_s must not be negative");
    tsdb.max_future_s = 0;
    EXPECT_EQ(Verdict(tsdb), "valid");
}

}  // namespace
}  // namespace mh::tsdb
