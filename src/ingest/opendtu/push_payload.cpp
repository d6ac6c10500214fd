#include "ingest/opendtu/push_payload.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "core/time_parse.hpp"

namespace mh::ingest::opendtu {
namespace {

namespace json = boost::json;

// Reads the fields of one JSON object, naming them by their path in the body.
class Fields {
  public:
    Fields(const json::object& object, std::string path, const PushLimits& limits)
        : object_(object), path_(std::move(path)), limits_(limits) {}

    Error Bad(std::string_view key, std::string_view what) const {
        return MakeError(Errc::kInvalidArgument, Path(key) + ": " + std::string(what));
    }
    std::string Path(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }

    const json::value* Find(std::string_view key) const {
        const json::value* v = object_.if_contains(key);
        return v && !v->is_null() ? v : nullptr;
    }

    Result<std::string> Text(std::string_view key, bool required) const {
        const json::value* v = Find(key);
        if (!v) return required ? Result<std::string>(Bad(key, "is required")) : std::string();
        if (!v->is_string()) return Bad(key, "must be a string");
        if (v->as_string().size() > limits_.max_text) {
            return Bad(key, "must be at most " + std::to_string(limits_.max_text) + " characters");
        }
        return std::string(v->as_string());
    }

    // A finite number >= min (power factor: >= -1, everything else: not negative).
    Result<std::optional<double>> Number(std::string_view key, bool required, double min = 0) const {
        const json::value* v = Find(key);
        if (!v) return required ? Result<std::optional<double>>(Bad(key, "is required")) : std::optional<double>();
        if (!v->is_number()) return Bad(key, "must be a number");
        const double value = v->to_number<double>();
        if (!std::isfinite(value) || std::abs(value) > limits_.max_value) return Bad(key, "is out of range");
        if (value < min) return Bad(key, min == 0 ? "must not be negative" : "is out of range");
        return std::optional<double>(value);
    }

    Result<double> Required(std::string_view key, double min = 0) const {
        MH_ASSIGN_OR_RETURN(auto value, Number(key, true, min));
        return *value;
    }

    Result<std::optional<bool>> Flag(std::string_view key) const {
        const json::value* v = Find(key);
        if (!v) return std::optional<bool>();
        if (!v->is_bool()) return Bad(key, "must be true or false");
        return std::optional<bool>(v->as_bool());
    }

    Result<const json::array*> Array(std::string_view key, bool required, std::size_t max) const {
        const json::value* v = Find(key);
        if (!v) return required ? Result<const json::array*>(Bad(key, "is required")) : nullptr;
        if (!v->is_array()) return Bad(key, "must be an array");
        if (v->as_array().size() > max) return Bad(key, "must have at most " + std::to_string(max) + " entries");
        return &v->as_array();
    }

    Result<Fields> Object(std::string_view key) const {
        const json::value* v = Find(key);
        if (!v) return Bad(key, "is required");
        if (!v->is_object()) return Bad(key, "must be an object");
        return Fields(v->as_object(), Path(key), limits_);
    }

  private:
    const json::object& object_;
    std::string path_;
    const PushLimits& limits_;
};

Result<Fields> ObjectAt(const json::array& array, std::size_t i, const std::string& path, const PushLimits& limits) {
    const std::string where = path + "[" + std::to_string(i) + "]";
    if (!array[i].is_object()) return MakeError(Errc::kInvalidArgument, where + ": must be an object");
    return Fields(array[i].as_object(), where, limits);
}

// Serials name devices in URLs, logs and the CLI: printable ASCII without spaces.
bool PlainSerial(std::string_view serial) {
    if (serial.empty() || serial.size() > 64) return false;
    for (char c : serial) {
        if (c <= ' ' || c > '~') return false;
    }
    return true;
}

Result<DcChannel> ParseChannel(const Fields& f, const PushLimits& limits) {
    DcChannel ch;
    MH_ASSIGN_OR_RETURN(double number, f.Required("channel"));
    if (number != std::floor(number) || number < 1 || number > static_cast<double>(limits.max_channels)) {
        return f.Bad("channel", "must be a whole number from 1 to " + std::to_string(limits.max_channels));
    }
    ch.channel = static_cast<int>(number);
    MH_ASSIGN_OR_RETURN(ch.name, f.Text("name", false));
    MH_ASSIGN_OR_RETURN(ch.power, f.Required("power"));
    MH_ASSIGN_OR_RETURN(ch.voltage, f.Number("voltage", false));
    MH_ASSIGN_OR_RETURN(ch.current, f.Number("current", false));
    MH_ASSIGN_OR_RETURN(ch.yield_day_wh, f.Number("yield_day", false));
    MH_ASSIGN_OR_RETURN(ch.yield_total_kwh, f.Number("yield_total", false));
    MH_ASSIGN_OR_RETURN(ch.irradiation, f.Number("irradiation", false));
    return ch;
}

Result<PushInverter> ParseInverter(const Fields& f, const PushLimits& limits) {
    PushInverter inv;
    MH_ASSIGN_OR_RETURN(inv.serial, f.Text("serial", true));
    if (!PlainSerial(inv.serial)) return f.Bad("serial", "must be 1 to 64 printable characters without spaces");
    MH_ASSIGN_OR_RETURN(inv.name, f.Text("name", false));
    MH_ASSIGN_OR_RETURN(inv.reachable, f.Flag("reachable"));
    MH_ASSIGN_OR_RETURN(inv.producing, f.Flag("producing"));
    if (const json::value* v = f.Find("last_update"); v && !v->is_number()) {
        return f.Bad("last_update", "must be a number (Unix seconds)");
    }
    MH_ASSIGN_OR_RETURN(Fields m, f.Object("measurements"));
    MH_ASSIGN_OR_RETURN(inv.ac.power_ac, m.Required("power_ac"));
    MH_ASSIGN_OR_RETURN(inv.ac.voltage_ac, m.Required("voltage_ac"));
    MH_ASSIGN_OR_RETURN(inv.ac.current_ac, m.Required("current_ac"));
    MH_ASSIGN_OR_RETURN(inv.ac.frequency, m.Required("frequency"));
    MH_ASSIGN_OR_RETURN(inv.ac.power_factor, m.Required("power_factor", -1));
    if (inv.ac.power_factor > 1) return m.Bad("power_factor", "must be between -1 and 1");
    MH_ASSIGN_OR_RETURN(inv.ac.power_dc, m.Required("power_dc"));

    const std::string path = f.Path("dc_channels");
    MH_ASSIGN_OR_RETURN(const json::array* channels, f.Array("dc_channels", false, limits.max_channels));
    if (channels) {
        std::uint32_t seen = 0;
        for (std::size_t i = 0; i < channels->size(); ++i) {
            MH_ASSIGN_OR_RETURN(Fields c, ObjectAt(*channels, i, path, limits));
            MH_ASSIGN_OR_RETURN(DcChannel ch, ParseChannel(c, limits));
            if (seen & (1u << ch.channel)) return c.Bad("channel", "appears twice");
            seen |= 1u << ch.channel;
            inv.dc.push_back(std::move(ch));
        }
    }
    return inv;
}

}  // namespace

Result<PushPayload> ParsePush(std::string_view body, const PushLimits& limits) {
    json::parse_options options;
    options.max_depth = 8;
    boost::system::error_code ec;
    json::monotonic_resource memory;
    const json::value root = json::parse(body, ec, &memory, options);
    if (ec) return MakeError(Errc::kInvalidArgument, "body is not JSON: " + ec.message());
    if (!root.is_object()) return MakeError(Errc::kInvalidArgument, "body: must be a JSON object");
    const Fields top(root.as_object(), "", limits);

    PushPayload payload;
    MH_ASSIGN_OR_RETURN(std::string timestamp, top.Text("timestamp", true));
    auto ts = ParseRfc3339(timestamp);
    if (!ts) return top.Bad("timestamp", ts.error().message);
    payload.ts_ms = *ts;
    payload.timestamp = std::move(timestamp);
    MH_ASSIGN_OR_RETURN(payload.dtu_serial, top.Text("dtu_serial", true));
    MH_ASSIGN_OR_RETURN(const json::array* inverters, top.Array("inverters", true, limits.max_inverters));
    payload.inverters.reserve(inverters->size());
    for (std::size_t i = 0; i < inverters->size(); ++i) {
        MH_ASSIGN_OR_RETURN(Fields f, ObjectAt(*inverters, i, "inverters", limits));
        MH_ASSIGN_OR_RETURN(PushInverter inv, ParseInverter(f, limits));
        payload.inverters.push_back(std::move(inv));
    }
    return payload;
}

}  // namespace mh::ingest::opendtu
