#include "core/result.hpp"

#include <gtest/gtest.h>

namespace mh {
namespace {

Result<int> Half(int x) {
    if (x % 2 != 0) return MakeError(Errc::kInvalidArgument, "odd");
    return x / 2;
}

Result<int> Quarter(int x) {
    MH_ASSIGN_OR_RETURN(int half, Half(x));
    MH_ASSIGN_OR_RETURN(int quarter, Half(half));
    return quarter;
}

Status CheckEven(int x) {
    MH_RETURN_IF_ERROR(Half(x));
    return Ok();
}

TEST(Result, CarriesValueOrError) {
    auto ok = Half(8);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 4);
    auto bad = Half(3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(bad.error().message, "odd");
    EXPECT_EQ(bad.value_or(-1), -1);
    EXPECT_THROW((void)bad.value(), std::logic_error);
}

TEST(Result, MacrosPropagateTheFirstError) {
    EXPECT_EQ(*Quarter(8), 2);
    EXPECT_EQ(Quarter(6).error().message, "odd");  // 6 -> 3 fails on the second step
    EXPECT_TRUE(CheckEven(2));
    EXPECT_FALSE(CheckEven(1));
}

TEST(Result, ErrcNamesAreStable) {
    EXPECT_STREQ(ErrcName(Errc::kNotFound), "not_found");
    EXPECT_STREQ(ErrcName(Errc::kResourceExhausted), "resource_exhausted");
}

}  // namespace
}  // namespace mh
