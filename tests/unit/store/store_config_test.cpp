// The store's config sections on their own: [storage] and [retention].
#include <gtest/gtest.h>

#include "store/retention_config.hpp"
#include "store/storage_config.hpp"

namespace mh::store {
namespace {

TEST(StorageConfigTest, APathIsNeeded) {
    StorageConfig storage;
    EXPECT_TRUE(storage.Validate());
    storage.path = "";
    ASSERT_FALSE(storage.Validate());
    EXPECT_EQ(storage.Validate().error().message, "config: storage.path must not be empty");
}

TEST(RetentionConfigTest, DaysAndPurgeIntervalHaveFloors) {
    RetentionConfig retention;
    EXPECT_TRUE(retention.Validate());
    retention.default_raw_days = 0;
    ASSERT_FALSE(retention.Validate());
    EXPECT_EQ(retention.Validate().error().message, "config: retention.default_raw_days must be at least 1");
    retention = {};
    retention.purge_interval_s = 59;
    ASSERT_FALSE(retention.Validate());
    EXPECT_EQ(retention.Validate().error().message, "config: retention.purge_interval_s must be at least 60");
    retention.purge_interval_s = 60;
    EXPECT_TRUE(retention.Validate());
}

}  // namespace
}  // namespace mh::store
