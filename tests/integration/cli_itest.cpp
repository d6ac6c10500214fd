// The real binary, driven like an operator would: commands, their output, their errors and exit codes.
#include <gtest/gtest.h>

#include <regex>

#include "process.hpp"

namespace mh::testing {
namespace {

class CliTest : public ::testing::Test {
  protected:
    RunResult Mh(std::vector<std::string> args, const std::string& input = "") {
        args.insert(args.begin(), {"--db", dir_.File("m.db")});
        return RunMeterhub(std::move(args), input);
    }
    // The first column of each data row of a table.
    static std::vector<std::string> Ids(const std::string& table) {
        std::vector<std::string> ids;
        std::istringstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) ids.push_back(line.substr(0, line.find(' ')));
        return ids;
    }
    TempDir dir_;
};

TEST_F(CliTest, HelpExplainsEveryCommand) {
    auto help = RunMeterhub({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* cmd : {"serve", "db", "tenant", "user", "device", "series", "query", "export", "purge", "sim"}) {
        EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
    }
    auto query_help = RunMeterhub({"query", "range", "--help"});
    EXPECT_EQ(query_help.exit_code, 0);
    EXPECT_NE(query_help.out.find("--points"), std::string::npos);
}

TEST_F(CliTest, UnknownFlagsAndBadConfigAreClearErrors) {
    auto flag = Mh({"tenant", "list", "--frobnicate"});
    EXPECT_NE(flag.exit_code, 0);
    EXPECT_NE(flag.err.find("--frobnicate"), std::string::npos) << flag.err;

    std::ofstream(dir_.File("bad.toml")) << "[storage]\npath = \"x.db\"\ncolour = \"blue\"\n";
    auto config = RunMeterhub({"--config", dir_.File("bad.toml"), "tenant", "list"});
    EXPECT_EQ(config.exit_code, 2);
    EXPECT_NE(config.err.find("unknown key 'storage.colour'"), std::string::npos) << config.err;

    auto set = Mh({"--set", "tsdb.gap_cap_s=soon", "tenant", "list"});
    EXPECT_EQ(set.exit_code, 2);
    EXPECT_NE(set.err.find("whole number"), std::string::npos) << set.err;

    auto zone = Mh({"tenant", "add", "x", "--tz", "Atlantis/Capital"});
    EXPECT_EQ(zone.exit_code, 2);
    EXPECT_NE(zone.err.find("unknown time zone"), std::string::npos);
}

TEST_F(CliTest, ManageTenantsUsersDevicesAndSeries) {
    ASSERT_EQ(Mh({"db", "migrate"}).exit_code, 0);
    auto tenant = Mh({"tenant", "add", "home", "--tz", "Europe/Berlin"});
    ASSERT_EQ(tenant.exit_code, 0) << tenant.err;
    EXPECT_EQ(Mh({"tenant", "add", "home"}).exit_code, 4);  // already exists

    auto weak = Mh({"user", "add", "ann@example.org", "--tenant", "home"}, "short\n");
    EXPECT_EQ(weak.exit_code, 2);
    EXPECT_NE(weak.err.find("at least 10 characters"), std::string::npos);
    auto user =
        Mh({"user", "add", "ann@example.org", "--tenant", "home", "--role", "owner"}, "a long enough password\n");
    ASSERT_EQ(user.exit_code, 0) << user.err;
    EXPECT_NE(Mh({"user", "list"}).out.find("ann@example.org"), std::string::npos);
    EXPECT_EQ(Mh({"user", "passwd", "ann@example.org"}, "another long password\n").exit_code, 0);

    ASSERT_EQ(Mh({"device", "add", "--tenant", "home", "--name", "Roof", "--serial", "2712345678"}).exit_code, 0);
    auto devices = Ids(Mh({"device", "list", "--tenant", "home"}).out);
    ASSERT_EQ(devices.size(), 1u);
    auto series =
        Mh({"series", "add", "--tenant", "home", "--device", devices[0], "--metric", "power_ac", "--unit", "W"});
    ASSERT_EQ(series.exit_code, 0) << series.err;
    EXPECT_EQ(Ids(Mh({"series", "list", "--tenant", "home"}).out).size(), 1u);

    // Edits change what they name; the list shows rating and MPPTs.
    ASSERT_EQ(Mh({"device", "edit", "--tenant", "home", devices[0], "--name", "Roof east", "--rated-power", "800",
                  "--mppts", "2"})
                  .exit_code,
              0);
    const auto listed = Mh({"device", "list", "--tenant", "home"}).out;
    EXPECT_NE(listed.find("Roof east"), std::string::npos) << listed;
    EXPECT_NE(listed.find("2712345678"), std::string::npos) << listed;
    EXPECT_NE(listed.find("800"), std::string::npos) << listed;
    EXPECT_NE(Mh({"device", "edit", "--tenant", "home", devices[0], "--mppts", "0"}).exit_code, 0);

    // A device of another tenant is not found through this one.
    ASSERT_EQ(Mh({"tenant", "add", "other"}).exit_code, 0);
    EXPECT_EQ(Mh({"device", "delete", "--tenant", "other", devices[0]}).exit_code, 3);

    ASSERT_EQ(Mh({"tenant", "delete", "home"}).exit_code, 0);
    EXPECT_EQ(Mh({"device", "list", "--tenant", "home"}).exit_code, 3);
    auto status = Mh({"db", "status"});
    EXPECT_NE(status.out.find("tenants:        1"), std::string::npos) << status.out;
    EXPECT_EQ(Mh({"user", "delete", "ann@example.org"}).exit_code, 0);
}

TEST_F(CliTest, IngestQueryAndStreamingExport) {
    auto load = Mh({"sim", "load", "--tenant", "t", "--series", "3", "--samples", "2000", "--start", "2026-06-01",
                    "--interval", "60"});
    ASSERT_EQ(load.exit_code, 0) << load.err;
    EXPECT_NE(load.out.find("done 6000"), std::string::npos);
    auto series = Ids(Mh({"series", "list", "--tenant", "t"}).out);
    ASSERT_EQ(series.size(), 3u);

    auto latest = Mh({"query", "latest", "--tenant", "t", "--series", series[0], "--json"});
    ASSERT_EQ(latest.exit_code, 0) << latest.err;
    EXPECT_NE(latest.out.find("\"value\":1999"), std::string::npos) << latest.out;

    auto range = Mh({"query", "range", "--tenant", "t", "--series", series[0], "--from", "2026-06-01T00:00:00Z", "--to",
                     "2026-06-03T00:00:00Z", "--points", "100", "--json"});
    ASSERT_EQ(range.exit_code, 0) << range.err;
    const auto points = std::count(range.out.begin(), range.out.end(), '{') - 1;
    EXPECT_LE(points, 100);
    EXPECT_GT(points, 10);

    auto energy = Mh({"query", "energy", "--tenant", "t", "--series", series[0], "--period", "day", "--from",
                      "2026-06-01T00:00:00Z", "--to", "2026-06-03T00:00:00Z", "--json"});
    ASSERT_EQ(energy.exit_code, 0) << energy.err;
    EXPECT_NE(energy.out.find("\"period\":\"2026-06-01\",\"energy\":1439"), std::string::npos) << energy.out;

    auto csv = Mh({"export", "--tenant", "t", "--series", series[1], "--from", "2026-05-01", "--to", "2026-07-01"});
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 2001);  // header + samples
    EXPECT_EQ(csv.out.rfind("timestamp_utc,", 0), 0u);

    auto json = Mh({"export", "--tenant", "t", "--series", series[1], "--from", "2026-05-01", "--to", "2026-07-01",
                    "--format", "json", "-o", dir_.File("out.json")});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_NE(json.err.find("2000 samples written"), std::string::npos);

    auto neither = Mh({"export", "--tenant", "t"});
    EXPECT_EQ(neither.exit_code, 2);

    auto purge = Mh({"purge"});
    ASSERT_EQ(purge.exit_code, 0) << purge.err;
    EXPECT_NE(purge.out.find("t: 0 raw samples"), std::string::npos) << purge.out;  // 2026-06 is within 730 days
}

TEST_F(CliTest, RejectsOutOfRangeTimes) {
    auto load = Mh({"sim", "load", "--tenant", "t", "--series", "1", "--samples", "1", "--start", "1999-12-31"});
    EXPECT_EQ(load.exit_code, 2);
    EXPECT_NE(load.err.find("before 2000"), std::string::npos) << load.err;
    auto range = Mh({"query", "range", "--tenant", "t", "--series", "1", "--from", "yesterday-ish"});
    EXPECT_EQ(range.exit_code, 2);
    EXPECT_NE(range.err.find("cannot read time"), std::string::npos) << range.err;
}

}  // namespace
}  // namespace mh::testing
