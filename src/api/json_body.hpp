// Reading JSON request bodies and writing JSON responses (Boost.JSON), with errors that name the field.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "net/http.hpp"
#include "store/records.hpp"
#include "store/database.hpp"

namespace mh::api {

namespace json = boost::json;

// The body as a JSON object; kInvalidArgument (422) otherwise.
Result<json::object> ParseObject(std::string_view body);

// Fields: a missing optional field is std::nullopt; a wrong type is an error naming the field.
Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view key,
                                                  std::size_t max_length = 256);
Result<std::string> RequiredString(const json::object& o, std::string_view key, std::size_t max_length = 256);
Result<std::optional<std::int64_t>> OptionalInt(const json::object& o, std::string_view key);
// A number within [min, max]; NaN and infinities never pass.
Result<std::optional<double>> OptionalNumber(const json::object& o, std::string_view key, double min, double max);
// An id, given as a string of digits or a number.
Result<std::int64_t> RequiredId(const json::object& o, std::string_view key);
Result<std::int64_t> ParseId(std::string_view text, std::string_view what);

net::Response JsonResponse(int status, const json::value& value);

// Views of stored rows. Ids are strings: 64-bit ids do not fit JavaScript numbers.
json::object View(const store::Tenant& t);
json::object View(const store::User& u);
json::object View(const store::Device& d);
json::object View(const store::UnclaimedDevice& d);
json::object View(const store::Series& s);
json::object View(const store::ApiKey& k);
// The editable fields of a device (POST and PATCH bodies); every field optional here, "name" is checked by the
// caller. `source` is one of the known sources.
struct DeviceFields {
    store::DeviceUpdate update;
    std::optional<std::string> source;

    // A new device from these fields (the name must be set).
    store::NewDevice ToNewDevice(std::string_view default_source) const;
};
Result<DeviceFields> ParseDeviceFields(const json::object& body);

std::string IdString(std::int64_t id);
// A number as JSON text (shortest round-trip form).
std::string JsonNumber(double v);
// A CSV cell, quoted when it holds separators, and defused when a spreadsheet would run it as a formula.
std::string CsvCell(std::string_view text);
std::string IsoTime(std::int64_t ms);

}  // namespace mh::api
