#include "api/ingest_parser.hpp"

#include <gtest/gtest.h>

namespace mh::api {
namespace {

IngestLimits Limits() { return IngestLimits{}; }

TEST(ParseRfc3339, AcceptsZonesAndFractions) {
    EXPECT_EQ(*ParseRfc3339("2026-01-01T00:00:00Z"), 1'767'225'600'000);
    EXPECT_EQ(*ParseRfc3339("2026-01-01T01:00:00+01:00"), 1'767'225'600'000);
    EXPECT_EQ(*ParseRfc3339("2025-12-31T23:30:00-00:30"), 1'767'225'600'000);
    EXPECT_EQ(*ParseRfc3339("2026-01-01T00:00:00.25Z"), 1'767'225'600'250);
    EXPECT_EQ(*ParseRfc3339("2026-01-01t00:00:00.123456789z"), 1'767'225'600'123);
}

TEST(ParseRfc3339, RejectsEverythingElse) {
    for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                            "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+1:00", "2026-01-01T00:00:00-", "yesterday",
                            "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00.Z"}) {
        EXPECT_FALSE(ParseRfc3339(bad)) << bad;
    }
}

TEST(ParseSamplesJson, ObjectOrArrayBySeriesOrDeviceMetric) {
    auto samples = ParseSamplesJson(
        R"({"samples":[{"series":"12","ts":1780000000000,"value":1.5},
                       {"device":3,"metric":"power_ac","ts":"2026-01-01T00:00:00Z","value":-2}]})",
        Limits());
    ASSERT_TRUE(samples) << samples.error().message;
    ASSERT_EQ(samples->size(), 2u);
    EXPECT_EQ((*samples)[0].series, 12);
    EXPECT_EQ((*samples)[0].value, 1.5);
    EXPECT_EQ((*samples)[1].device, 3);
    EXPECT_EQ((*samples)[1].metric, "power_ac");
    EXPECT_EQ((*samples)[1].ts_ms, 1'767'225'600'000);
    EXPECT_EQ(ParseSamplesJson(R"([{"series":1,"ts":1,"value":2}])", Limits())->size(), 1u);
    EXPECT_EQ(ParseSamplesJson("[]", Limits())->size(), 0u);
}

TEST(ParseSamplesJson, ErrorsNameTheSampleAndField) {
    auto expect = [](const char* body, const char* words) {
        auto r = ParseSamplesJson(body, Limits());
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
        EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().message;
    };
    expect("{", "not valid JSON");
    expect(R"({"data":[]})", "expected");
    expect(R"([1])", "samples[0]: must be an object");
    expect(R"([{"series":1,"ts":1,"value":"x"}])", "samples[0].value");
    expect(R"([{"series":1,"value":2}])", "samples[0].ts: is missing");
    expect(R"([{"series":1,"ts":1}])", "samples[0].value: is missing");
    expect(R"([{"series":-1,"ts":1,"value":1}])", "positive");
    expect(R"([{"series":"1x","ts":1,"value":1}])", "must be an id");
    expect(R"([{"ts":1,"value":1}])", "either series");
    expect(R"([{"series":1,"device":2,"metric":"m","ts":1,"value":1}])", "either series");
    expect(R"([{"device":2,"ts":1,"value":1}])", "metric");
    expect(R"([{"series":1,"ts":1,"value":1,"colour":"red"}])", "colour");
    expect(R"([{"series":1,"ts":1e300,"value":1}])", "out of range");
    expect(R"([{"series":1,"ts":18446744073709551615,"value":1}])", "out of range");
    expect(R"([[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]])", "not valid JSON");  // too deep
}

TEST(ParseSamplesJson, EnforcesTheSampleLimit) {
    IngestLimits limits;
    limits.max_samples = 2;
    EXPECT_TRUE(ParseSamplesJson(R"([{"series":1,"ts":1,"value":1},{"series":1,"ts":2,"value":1}])", limits));
    auto r = ParseSamplesJson(R"([{"series":1,"ts":1,"value":1},{"series":1,"ts":2,"value":1},{"series":1,"ts":3,"value":1}])",
                              limits);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("too many"), std::string::npos);
}

TEST(ParseSamplesLines, ParsesAndNamesTheBadLine) {
    auto ok = ParseSamplesLines("# header\n\n12 1780000000000 1.5\r\n  13\t1780000000001   -2e3\n", Limits());
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_EQ(ok->size(), 2u);
    EXPECT_EQ((*ok)[1].series, 13);
    EXPECT_EQ((*ok)[1].value, -2000);
    for (const char* bad : {"12 1780000000000\n", "12 1780000000000 1 extra\n", "x 1 1\n", "0 1 1\n", "12 1.5 1\n",
                            "12 1 nan-ish\n"}) {
        auto r = ParseSamplesLines(std::string("1 1 1\n") + bad, Limits());
        ASSERT_FALSE(r) << bad;
        EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
    }
}

}  // namespace
}  // namespace mh::api
