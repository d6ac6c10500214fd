// SolarmanPoller and RunPollLoop against the emulated logger (sim/solarman_logger.hpp) over loopback TCP:
// decoded values for three register maps, every logger quirk, status replies, timeouts, dropped connections,
// stopping. Nothing sleeps to synchronise: tests wait for a condition, with generous deadlines as failure guards.
#include "collect/solarman_poller.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ingest/solarman/modbus.hpp"
#include "sim/solarman_logger.hpp"

namespace mh::collect {
namespace {

namespace sm = ingest::solarman;
using namespace std::chrono_literals;
using sim::LoggerQuirks;
using sim::RegisterImage;
using sim::SolarmanLogger;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

constexpr std::uint32_t kLoggerSerial = 3168930341;  // V13's stick

sm::FieldMap Map(std::string_view name) {
    auto map = sm::BuiltinFieldMap(name);
    EXPECT_TRUE(map) << map.error().message;
    return *map;
}

std::unique_ptr<SolarmanLogger> StartLogger(RegisterImage registers, LoggerQuirks quirks = {}) {
    sim::LoggerOptions options;
    options.logger_serial = kLoggerSerial;
    options.registers = std::move(registers);
    options.quirks = quirks;
    auto logger = SolarmanLogger::Start(std::move(options));
    EXPECT_TRUE(logger) << logger.error().message;
    return std::move(*logger);
}

PollerTarget Target(const SolarmanLogger& logger, std::string_view map, std::chrono::milliseconds timeout = 10s) {
    PollerTarget target;
    target.host = "127.0.0.1";
    target.port = logger.port();
    target.logger_serial = kLoggerSerial;
    target.map = Map(map);
    target.timeout = timeout;
    return target;
}

std::unique_ptr<SolarmanPoller> MakePoller(PollerTarget target) {
    auto poller = SolarmanPoller::Create(std::move(target));
    EXPECT_TRUE(poller) << poller.error().message;
    return std::move(*poller);
}

double Sample(const DataReport& report, std::string_view name) {
    const sm::DecodedSample* sample = report.FindSample(name);
    if (sample == nullptr) {
        ADD_FAILURE() << "no sample " << name;
        return -1e300;
    }
    return sample->value;
}

std::string Attribute(const DataReport& report, std::string_view name) {
    const std::string* value = report.FindAttribute(name);
    if (value == nullptr) {
        ADD_FAILURE() << "no attribute " << name;
        return "";
    }
    return *value;
}

template <class Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds timeout = 10s) {
    const Steady::time_point deadline = Steady::now() + timeout;
    while (!condition()) {
        if (Steady::now() >= deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// ---- Register images written by hand, raw values from the register tables, and what they mean -------------------

// deye_micro_modbus: serial "2510234578" (V13), 394.5 W, -2 degC, two modules.
const RegisterImage kMicroImage = {
    {0x03, 0x3235}, {0x04, 0x3130}, {0x05, 0x3233}, {0x06, 0x3435}, {0x07, 0x3738},  // "2510234578"
    {0x3B, 2},      {0x3C, 23},     {0x3E, 600},                                     // status, today, uptime
    {0x3F, 0xE240}, {0x40, 0x0001},                                                  // total 123456, low word first
    {0x41, 12},     {0x45, 0x1170}, {0x46, 0x0001},                                  // dc1 today, dc1 total 70000
    {0x49, 2312},   {0x4C, 17},     {0x4F, 5002},                                    // grid V, A, Hz
    {0x56, 3945},   {0x57, 0},      {0x5A, 0xFF38},                                  // AC power, temperature -200
    {0x6D, 345},    {0x6E, 87},     {0x6F, 341},    {0x70, 30},                      // dc1, dc2 V and A
};

void ExpectMicro(const DataReport& report) {
    EXPECT_EQ(report.inverter_serial, "2510234578");
    EXPECT_EQ(Attribute(report, "running_status"), "2");
    EXPECT_EQ(Attribute(report, "uptime"), "600");
    EXPECT_DOUBLE_EQ(Sample(report, "energy_today"), 2.3);
    EXPECT_DOUBLE_EQ(Sample(report, "energy_total"), 12345.6);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.energy_today"), 1.2);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.energy_total"), 7000.0);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_voltage"), 231.2);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_current"), 1.7);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_frequency"), 50.02);
    EXPECT_DOUBLE_EQ(Sample(report, "power_ac"), 394.5);
    EXPECT_DOUBLE_EQ(Sample(report, "temperature"), -2.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.voltage"), 34.5);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.current"), 8.7);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.power"), 300.15);
    EXPECT_DOUBLE_EQ(Sample(report, "dc2.power"), 102.3);
    EXPECT_DOUBLE_EQ(Sample(report, "dc3.power"), 0.0);
    EXPECT_THAT(report.skipped, ::testing::IsEmpty());
}

// deye_string_2mppt_modbus: a two-phase-connected 5 kW string inverter (L3 reads 0).
const RegisterImage kStringImage = {
    {0x3B, 2},     {0x3C, 215},   {0x3F, 0x86A0}, {0x40, 0x0001},               // today, total 100000
    {0x49, 2305},  {0x4A, 2311},  {0x4B, 0},                                    // L1, L2, L3 voltage
    {0x4C, 72},    {0x4D, 71},    {0x4E, 73},     {0x4F, 4998},                 // L1..L3 current, Hz
    {0x50, 50000}, {0x52, 52000}, {0x56, 49870},  {0x57, 0},      {0x5A, 452},  // powers, temperature
    {0x6D, 3500},  {0x6E, 75},    {0x6F, 3200},   {0x70, 82},                   // dc1, dc2 V and A
};

void ExpectString(const DataReport& report) {
    EXPECT_DOUBLE_EQ(Sample(report, "energy_today"), 21.5);
    EXPECT_DOUBLE_EQ(Sample(report, "energy_total"), 10000.0);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_voltage"), 230.5);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_l2_voltage"), 231.1);
    EXPECT_EQ(report.FindSample("grid_l3_voltage"), nullptr);  // zero_invalid
    EXPECT_THAT(report.skipped, ::testing::Contains(HasSubstr("grid_l3_voltage")));
    EXPECT_DOUBLE_EQ(Sample(report, "grid_current"), 7.2);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_l2_current"), 7.1);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_l3_current"), 7.3);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_frequency"), 49.98);
    EXPECT_DOUBLE_EQ(Sample(report, "operating_power"), 5000.0);
    EXPECT_DOUBLE_EQ(Sample(report, "power_dc"), 5200.0);
    EXPECT_DOUBLE_EQ(Sample(report, "power_ac"), 4987.0);
    EXPECT_DOUBLE_EQ(Sample(report, "temperature"), 45.2);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.voltage"), 350.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.current"), 7.5);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.power"), 2625.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc2.power"), 2624.0);
    EXPECT_EQ(report.FindSample("dc3.voltage"), nullptr);  // a 2-MPPT map
}

// deye_sg04lp3_modbus: discharging battery, exporting to the grid.
const RegisterImage kHybridImage = {
    {0x1F4, 2},      {0x202, 55},   {0x203, 31},                                        // status, battery today
    {0x204, 0x86A0}, {0x205, 1},    {0x206, 0x3A98}, {0x207, 0},                        // battery totals
    {0x208, 32},     {0x209, 120},  {0x20A, 5000},   {0x20B, 0},      {0x20C, 8000},    // bought / sold
    {0x20D, 0},      {0x211, 181},  {0x216, 0xCACE}, {0x217, 35},                       // today, total 2345678
    {0x24A, 1250},   {0x24B, 5230}, {0x24C, 87},     {0x24E, 0xFA24}, {0x24F, 0xF4CC},  // battery
    {0x256, 2301},   {0x257, 2298}, {0x258, 2305},   {0x271, 0xFEC0},                   // grid V, grid power
    {0x2A0, 2100},   {0x2A1, 1900}, {0x2A4, 4120},   {0x2A5, 51},     {0x2A6, 3980},   {0x2A7, 48},  // PV
};

void ExpectHybrid(const DataReport& report) {
    EXPECT_EQ(Attribute(report, "running_status"), "2");
    EXPECT_DOUBLE_EQ(Sample(report, "battery.energy_charged_today"), 5.5);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.energy_discharged_today"), 3.1);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.energy_charged_total"), 10000.0);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.energy_discharged_total"), 1500.0);
    EXPECT_DOUBLE_EQ(Sample(report, "energy_bought_total"), 500.0);
    EXPECT_DOUBLE_EQ(Sample(report, "energy_sold_total"), 800.0);
    EXPECT_DOUBLE_EQ(Sample(report, "energy_today"), 18.1);
    EXPECT_DOUBLE_EQ(Sample(report, "energy_total"), 234567.8);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.temperature"), 25.0);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.voltage"), 52.3);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.soc"), 87.0);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.power"), -1500.0);
    EXPECT_DOUBLE_EQ(Sample(report, "battery.current"), -28.68);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_voltage"), 230.1);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_l3_voltage"), 230.5);
    EXPECT_DOUBLE_EQ(Sample(report, "grid_power"), -320.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.power"), 2100.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc2.power"), 1900.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc1.voltage"), 412.0);
    EXPECT_DOUBLE_EQ(Sample(report, "dc2.current"), 4.8);
    EXPECT_THAT(report.skipped, ::testing::IsEmpty());
}

struct MapCase {
    const char* map;
    const RegisterImage* image;
    void (*expect)(const DataReport&);
};

void PrintTo(const MapCase& c, std::ostream* os) {
    *os << c.map;
}

const MapCase kMapCases[] = {
    {"deye_micro_modbus", &kMicroImage, ExpectMicro},
    {"deye_string_2mppt_modbus", &kStringImage, ExpectString},
    {"deye_sg04lp3_modbus", &kHybridImage, ExpectHybrid},
};

struct QuirkCase {
    const char* name;
    LoggerQuirks quirks;
};

void PrintTo(const QuirkCase& c, std::ostream* os) {
    *os << c.name;
}

LoggerQuirks Quirks(void (*set)(LoggerQuirks&)) {
    LoggerQuirks quirks;
    set(quirks);
    return quirks;
}

const QuirkCase kQuirkCases[] = {
    {"plain", {}},
    {"heartbeat_first", Quirks([](LoggerQuirks& q) { q.heartbeat_first = true; })},
    {"interim_first", Quirks([](LoggerQuirks& q) { q.interim_first = true; })},
    {"stale_first", Quirks([](LoggerQuirks& q) { q.stale_first = true; })},
    {"double_crc", Quirks([](LoggerQuirks& q) { q.double_crc = true; })},
    {"trickle", Quirks([](LoggerQuirks& q) { q.trickle = true; })},
    {"all_at_once", Quirks([](LoggerQuirks& q) {
         q.heartbeat_first = q.interim_first = q.stale_first = q.double_crc = q.trickle = true;
     })},
};

// ---- Values and quirks ------------------------------------------------------------------------------------------

class PollerQuirkTest : public ::testing::TestWithParam<std::tuple<MapCase, QuirkCase>> {};

TEST_P(PollerQuirkTest, DecodesTheRegisterImageDespiteTheQuirk) {
    const auto& [map_case, quirk_case] = GetParam();
    auto logger = StartLogger(*map_case.image, quirk_case.quirks);
    auto poller = MakePoller(Target(*logger, map_case.map));
    const std::size_t blocks = sm::PlanRegisterReads(poller->target().map).size();
    for (int poll = 0; poll < 2; ++poll) {  // the second poll reuses the connection
        auto report = poller->PollOnce();
        ASSERT_TRUE(report) << report.error().message;
        map_case.expect(*report);
    }
    EXPECT_EQ(logger->requests(), 2 * blocks);  // no request repeated
    EXPECT_EQ(logger->connections(), 1u);
    EXPECT_EQ(poller->connects(), 1u);
}

INSTANTIATE_TEST_SUITE_P(MapsAndQuirks, PollerQuirkTest,
                         ::testing::Combine(::testing::ValuesIn(kMapCases), ::testing::ValuesIn(kQuirkCases)),
                         [](const auto& param_info) {
                             return std::string(std::get<0>(param_info.param).map) + "_" +
                                    std::get<1>(param_info.param).name;
                         });

// Values from the simulator's generator for every built-in register map: each decodes to what was encoded,
// to the field's resolution.
class GeneratedImageTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GeneratedImageTest, DecodesTheValuesTheSimulatorEncoded) {
    const sm::FieldMap map = Map(GetParam());
    sim::InverterSnapshot snapshot;
    snapshot.rated_w = std::string(GetParam()).find("micro") != std::string::npos ? 800 : 8000;
    snapshot.power_ac_w = snapshot.rated_w * 0.61;
    snapshot.energy_today_kwh = 3.4;
    snapshot.energy_total_kwh = 4321.0;
    const std::map<std::string, double> values = sim::TypicalReadings(map, snapshot);
    auto image = sim::EncodeRegisters(map, values, {});
    ASSERT_TRUE(image) << image.error().message;
    auto logger = StartLogger(*image);
    auto poller = MakePoller(Target(*logger, GetParam()));
    auto report = poller->PollOnce();
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_GT(values.size(), 8u);
    for (const sm::FieldSpec& field : map.fields) {
        const auto it = values.find(field.name);
        if (field.type == sm::ValueType::kProduct || field.name == "inverter_serial") continue;
        ASSERT_NE(it, values.end()) << "the generator left out " << field.name;
        double decoded = 0;
        if (field.kind == sm::FieldKind::kInfo) {
            decoded = std::strtod(Attribute(*report, field.name).c_str(), nullptr);
        } else {
            decoded = Sample(*report, field.name);
        }
        EXPECT_NEAR(decoded, it->second, field.scale / 2 + 1e-9) << field.name;
    }
}

INSTANTIATE_TEST_SUITE_P(BuiltinRegisterMaps, GeneratedImageTest,
                         ::testing::Values("deye_micro_modbus", "deye_string_1mppt_modbus", "deye_string_2mppt_modbus",
                                           "deye_string_4mppt_modbus", "deye_sg04lp3_modbus"));

TEST(SimulatedRegistersTest, FollowsTheDayCurve) {
    const sm::FieldMap map = Map("deye_micro_modbus");
    sim::SolarInverter inverter(800, 7);
    const TimeZone utc = TimeZone::Utc();
    const Timestamp noon = FromMillis(1'718'712'000'000);  // 2024-06-18T12:00:00Z
    auto image = sim::SimulatedRegisters(map, inverter, 800, noon, utc, "2510234578");
    ASSERT_TRUE(image) << image.error().message;
    auto logger = StartLogger(*image);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    auto day = poller->PollOnce();
    ASSERT_TRUE(day) << day.error().message;
    EXPECT_EQ(day->inverter_serial, "2510234578");
    EXPECT_GT(Sample(*day, "power_ac"), 500.0);
    EXPECT_GT(Sample(*day, "dc1.power"), 100.0);
    EXPECT_GT(Sample(*day, "energy_today"), 1.0);

    auto night_image = sim::SimulatedRegisters(map, inverter, 800, noon + 9h, utc, "2510234578");  // 21:00
    ASSERT_TRUE(night_image);
    logger->SetRegisters(*night_image);
    auto night = poller->PollOnce();
    ASSERT_TRUE(night) << night.error().message;
    EXPECT_EQ(Sample(*night, "power_ac"), 0.0);
    EXPECT_EQ(Attribute(*night, "running_status"), "0");
    EXPECT_GT(Sample(*night, "energy_today"), Sample(*day, "energy_today"));  // the whole day's yield
}

TEST(SolarmanPollerTest, ManyPollsWrapTheSequenceByteAndStillMatchReplies) {
    LoggerQuirks quirks;
    quirks.stale_first = true;  // the stale reply carries sequence - 1, which wraps from 0x00 to 0xFF
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    for (int poll = 0; poll < 100; ++poll) {  // 300 requests: the byte wraps at least once
        auto report = poller->PollOnce();
        ASSERT_TRUE(report) << "poll " << poll << ": " << report.error().message;
        ASSERT_DOUBLE_EQ(Sample(*report, "power_ac"), 394.5);
    }
    EXPECT_EQ(logger->requests(), 300u);
}

// ---- Status replies and exceptions ---------------------------------------------------------------------------------

TEST(SolarmanPollerTest, WrongSerialNamesTheRealOne) {
    auto logger = StartLogger(kMicroImage);
    PollerTarget target = Target(*logger, "deye_micro_modbus");
    target.logger_serial = 1234567890;
    auto poller = MakePoller(std::move(target));
    auto report = poller->PollOnce();
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, Errc::kNotFound);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kWrongSerial);
    EXPECT_THAT(report.error().message, HasSubstr("3168930341"));
    EXPECT_THAT(report.error().message, HasSubstr("1234567890"));
    EXPECT_EQ(logger->requests(), 1u);  // no point reading further blocks
}

TEST(SolarmanPollerTest, WrongSerialStatusQuirk) {
    LoggerQuirks quirks;
    quirks.wrong_serial = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    auto report = poller->PollOnce();
    ASSERT_FALSE(report);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kWrongSerial);
}

TEST(SolarmanPollerTest, SilentInverterIsAsleepNotAnAlarm) {
    LoggerQuirks quirks;
    quirks.inverter_asleep = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    for (int poll = 0; poll < 2; ++poll) {
        auto report = poller->PollOnce();
        ASSERT_FALSE(report);
        EXPECT_EQ(report.error().code, Errc::kFailedPrecondition);
        EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kInverterAsleep);
        EXPECT_THAT(report.error().message, HasSubstr("asleep"));
    }
    EXPECT_EQ(logger->connections(), 1u);  // the logger is fine: the connection is kept

    logger->SetQuirks({});  // morning
    auto report = poller->PollOnce();
    ASSERT_TRUE(report) << report.error().message;
    ExpectMicro(*report);
}

TEST(SolarmanPollerTest, WrongSlaveIdLooksLikeASilentInverter) {
    auto logger = StartLogger(kMicroImage);
    PollerTarget target = Target(*logger, "deye_micro_modbus");
    target.slave = 2;
    auto poller = MakePoller(std::move(target));
    auto report = poller->PollOnce();
    ASSERT_FALSE(report);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kInverterAsleep);
    EXPECT_THAT(report.error().message, HasSubstr("slave 2"));
}

TEST(SolarmanPollerTest, ModbusExceptionIsRejected) {
    LoggerQuirks quirks;
    quirks.exception_code = 0x02;
    quirks.double_crc = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    auto report = poller->PollOnce();
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kRejected);
    EXPECT_THAT(report.error().message, HasSubstr("0x02 (illegal data address)"));
    EXPECT_THAT(report.error().message, HasSubstr("registers 0x0003..0x0007"));
}

// ---- Timeouts, dropped connections, stopping ------------------------------------------------------------------------

TEST(SolarmanPollerTest, ReadTimesOutThenRecoversOnANewConnection) {
    LoggerQuirks quirks;
    quirks.silent = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus", 300ms));
    const Steady::time_point start = Steady::now();
    auto report = poller->PollOnce();
    const auto took = Steady::now() - start;
    ASSERT_FALSE(report);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kUnreachable);
    EXPECT_THAT(report.error().message, HasSubstr("no answer to reading registers 0x0003..0x0007 within 300 ms"));
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 5s);
    EXPECT_EQ(logger->requests(), 1u);

    logger->SetQuirks({});
    auto again = poller->PollOnce();
    ASSERT_TRUE(again) << again.error().message;
    ExpectMicro(*again);
    EXPECT_EQ(poller->connects(), 2u);  // the timed-out connection was closed
}

TEST(SolarmanPollerTest, LoggerDroppingTheConnectionMidPollIsRetriedOnce) {
    LoggerQuirks quirks;
    quirks.drop_after = 2;  // the micro map needs three reads
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    ASSERT_EQ(sm::PlanRegisterReads(poller->target().map).size(), 3u);
    auto report = poller->PollOnce();
    ASSERT_TRUE(report) << report.error().message;
    ExpectMicro(*report);
    EXPECT_EQ(poller->connects(), 2u);
    EXPECT_EQ(logger->requests(), 4u);  // the dropped third read, repeated
}

TEST(SolarmanPollerTest, SecondDropInOnePollFailsAndTheNextPollReconnects) {
    LoggerQuirks quirks;
    quirks.drop_after = 1;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    auto report = poller->PollOnce();
    ASSERT_FALSE(report);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kUnreachable);
    EXPECT_THAT(report.error().message, HasSubstr("connection lost"));

    logger->SetQuirks({});
    auto again = poller->PollOnce();
    ASSERT_TRUE(again) << again.error().message;
    ExpectMicro(*again);
}

TEST(SolarmanPollerTest, IdleConnectionClosedByTheLoggerIsReopened) {
    auto logger = StartLogger(kMicroImage);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    ASSERT_TRUE(poller->PollOnce());
    logger->DropConnections();
    ASSERT_TRUE(WaitFor([&] { return logger->open_connections() == 0; }));
    auto report = poller->PollOnce();
    ASSERT_TRUE(report) << report.error().message;
    ExpectMicro(*report);
    EXPECT_EQ(poller->connects(), 2u);
    EXPECT_EQ(logger->connections(), 2u);
}

TEST(SolarmanPollerTest, NoLoggerListening) {
    std::uint16_t port = 0;
    {
        auto logger = StartLogger(kMicroImage);
        port = logger->port();
    }
    PollerTarget target;
    target.host = "127.0.0.1";
    target.port = port;
    target.logger_serial = kLoggerSerial;
    target.map = Map("deye_micro_modbus");
    auto poller = MakePoller(std::move(target));
    auto report = poller->PollOnce();
    ASSERT_FALSE(report);
    EXPECT_EQ(PollStatusOf(report.error()), PollStatus::kUnreachable);
    EXPECT_THAT(report.error().message, HasSubstr("cannot connect"));
}

TEST(SolarmanPollerTest, StopEndsAPollInProgressAndLaterPolls) {
    LoggerQuirks quirks;
    quirks.silent = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus", 60s));
    std::optional<Result<DataReport>> result;
    std::thread polling([&] { result.emplace(poller->PollOnce()); });
    ASSERT_TRUE(WaitFor([&] { return logger->requests() == 1; }));
    const Steady::time_point start = Steady::now();
    poller->Stop();
    polling.join();
    EXPECT_LT(Steady::now() - start, 5s);
    ASSERT_TRUE(result);
    ASSERT_FALSE(*result);
    EXPECT_EQ(PollStatusOf(result->error()), PollStatus::kUnreachable);
    EXPECT_THAT(result->error().message, HasSubstr("stopped"));

    auto later = poller->PollOnce();
    ASSERT_FALSE(later);
    EXPECT_THAT(later.error().message, HasSubstr("stopped"));
    EXPECT_EQ(logger->requests(), 1u);
}

TEST(SolarmanPollerTest, CreateValidatesTheTarget) {
    PollerTarget target;
    target.host = "127.0.0.1";
    target.logger_serial = kLoggerSerial;
    target.map = Map("deye_micro_push");
    auto push_map = SolarmanPoller::Create(target);
    ASSERT_FALSE(push_map);
    EXPECT_THAT(push_map.error().message, HasSubstr("not a holding-register map"));

    target.map = Map("deye_micro_modbus");
    target.logger_serial = 0;
    EXPECT_FALSE(SolarmanPoller::Create(target));
    target.logger_serial = kLoggerSerial;
    target.function = 0x06;
    EXPECT_FALSE(SolarmanPoller::Create(target));
    target.function = 0x04;
    target.timeout = 0ms;
    EXPECT_FALSE(SolarmanPoller::Create(target));
    target.timeout = 1s;
    target.host.clear();
    EXPECT_FALSE(SolarmanPoller::Create(target));
    target.host = "logger.local";
    EXPECT_TRUE(SolarmanPoller::Create(target));
}

TEST(SolarmanPollerTest, StatusNames) {
    EXPECT_STREQ(PollStatusName(PollStatus::kInverterAsleep), "inverter_asleep");
    EXPECT_EQ(PollStatusOf(MakeError(Errc::kInternal, "")), PollStatus::kInternal);
}

// ---- RunPollLoop
// -----------------------------------------------------------------------------------------------------

// What the loop's callbacks saw, for a test thread to wait on.
struct Recorder {
    void Report(const DataReport& report, Timestamp received) {
        std::lock_guard lock(mutex);
        powers.push_back(Sample(report, "power_ac"));
        times.push_back(received);
        changed.notify_all();
    }
    void Failure(const Error& error, PollStatus status, Timestamp when) {
        std::lock_guard lock(mutex);
        failures.push_back(status);
        messages.push_back(error.message);
        times.push_back(when);
        changed.notify_all();
    }
    bool WaitForEvents(std::size_t count, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return times.size() >= count; });
    }
    PollCallbacks Callbacks() {
        return {[this](const DataReport& r, Timestamp t) { Report(r, t); },
                [this](const Error& e, PollStatus s, Timestamp t) { Failure(e, s, t); }};
    }

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<double> powers;
    std::vector<PollStatus> failures;
    std::vector<std::string> messages;
    std::vector<Timestamp> times;
};

const Timestamp kFakeNow = FromMillis(1'718'712'000'000);

TEST(PollAndReportTest, ReportsEachPollStampedWithTheInjectedClock) {
    auto logger = StartLogger(kMicroImage);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    FakeClock clock(kFakeNow);
    Recorder recorder;
    const PollCallbacks callbacks = recorder.Callbacks();
    PollAndReport(*poller, clock, callbacks);
    clock.Advance(1min);
    PollAndReport(*poller, clock, callbacks);
    std::lock_guard lock(recorder.mutex);
    EXPECT_THAT(recorder.failures, ::testing::IsEmpty());
    EXPECT_THAT(recorder.powers, ::testing::ElementsAre(394.5, 394.5));
    EXPECT_THAT(recorder.times, ::testing::ElementsAre(kFakeNow, kFakeNow + 1min));
    EXPECT_EQ(poller->connects(), 1u);  // the connection is kept between polls
}

TEST(PollAndReportTest, StopEndsAPollInProgressWithoutReportingIt) {
    LoggerQuirks quirks;
    quirks.silent = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus", 60s));
    FakeClock clock(kFakeNow);
    Recorder recorder;
    const PollCallbacks callbacks = recorder.Callbacks();
    std::thread poll([&] { PollAndReport(*poller, clock, callbacks); });
    ASSERT_TRUE(WaitFor([&] { return logger->requests() == 1; }));
    const Steady::time_point start = Steady::now();
    poller->Stop();
    poll.join();
    EXPECT_LT(Steady::now() - start, 5s);  // not the 60 s read timeout
    std::lock_guard lock(recorder.mutex);
    EXPECT_THAT(recorder.times, ::testing::IsEmpty());
}

TEST(PollAndReportTest, FailuresGoToTheFailureCallback) {
    LoggerQuirks quirks;
    quirks.inverter_asleep = true;
    auto logger = StartLogger(kMicroImage, quirks);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    FakeClock clock(kFakeNow);
    Recorder recorder;
    PollAndReport(*poller, clock, recorder.Callbacks());
    std::lock_guard lock(recorder.mutex);
    ASSERT_EQ(recorder.failures.size(), 1u);
    EXPECT_EQ(recorder.failures[0], PollStatus::kInverterAsleep);
    EXPECT_EQ(recorder.times[0], kFakeNow);
    EXPECT_THAT(recorder.powers, ::testing::IsEmpty());
}

TEST(PollAndReportTest, AThrowingCallbackIsContained) {
    auto logger = StartLogger(kMicroImage);
    auto poller = MakePoller(Target(*logger, "deye_micro_modbus"));
    FakeClock clock(kFakeNow);
    int calls = 0;
    PollCallbacks callbacks;
    callbacks.on_report = [&](const DataReport&, Timestamp) {
        ++calls;
        throw std::runtime_error("callback bug");
    };
    EXPECT_NO_THROW(PollAndReport(*poller, clock, callbacks));
    EXPECT_NO_THROW(PollAndReport(*poller, clock, callbacks));
    EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace mh::collect
