#include "api/json_body.hpp"

#include "domain/devices.hpp"

#include <algorithm>
#include <charconv>


#include "core/time.hpp"

namespace mh::api {

Result<json::object> ParseObject(std::string_view body) {
    json::parse_options options;
    options.max_depth = 16;
    boost::system::error_code ec;
    json::value value = json::parse(body, ec, {}, options);
    if (ec) return MakeError(Errc::kInvalidArgument, "the body is not valid JSON: " + ec.message());
    if (!value.is_object()) return MakeError(Errc::kInvalidArgument, "the body must be a JSON object");
    return std::move(value.as_object());
}

Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view key, std::size_t max_length) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return MakeError(Errc::kInvalidArgument, std::string(key) + ": must be a string");
    if (v->get_string().size() > max_length) {
        return MakeError(Errc::kInvalidArgument,
                         std::string(key) + ": is too long (at most " + std::to_string(max_length) + " characters)");
    }
    return std::optional<std::string>(std::string(v->get_string()));
}

Result<std::string> RequiredString(const json::object& o, std::string_view key, std::size_t max_length) {
    MH_ASSIGN_OR_RETURN(auto value, OptionalString(o, key, max_length));
    if (!value || value->empty()) return MakeError(Errc::kInvalidArgument, std::string(key) + ": is required");
    return *value;
}

Result<std::optional<std::int64_t>> OptionalInt(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<std::int64_t>();
    if (!v->is_int64()) return MakeError(Errc::kInvalidArgument, std::string(key) + ": must be a whole number");
    return std::optional<std::int64_t>(v->get_int64());
}

Result<std::optional<double>> OptionalNumber(const json::object& o, std::string_view key, double min, double max) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<double>();
    if (!v->is_number()) return MakeError(Errc::kInvalidArgument, std::string(key) + ": must be a number");
    const double value = v->to_number<double>();
    if (!(value >= min && value <= max)) {
        return MakeError(Errc::kInvalidArgument, std::string(key) + ": must be between " + json::serialize(json::value(min)) +
                                                     " and " + json::serialize(json::value(max)));
    }
    return std::optional<double>(value);
}

Result<std::int64_t> ParseId(std::string_view text, std::string_view what) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
        return MakeError(Errc::kNotFound, std::string(what) + " not found");
    }
    return id;
}

Result<std::int64_t> RequiredId(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return MakeError(Errc::kInvalidArgument, std::string(key) + ": is required");
    if (v->is_int64() && v->get_int64() > 0) return v->get_int64();
    if (v->is_string()) {
        auto id = ParseId(v->get_string(), key);
        if (id) return id;
    }
    return MakeError(Errc::kInvalidArgument, std::string(key) + ": must be an id (a string of digits)");
}

store::NewDevice DeviceFields::ToNewDevice(std::string_view default_source) const {
    store::NewDevice d{update.name.value_or(""), source.value_or(std::string(default_source)),
                       update.serial.value_or(""), update.model.value_or(""), update.poll_address.value_or("")};
    d.rated_power_w = update.rated_power_w;
    d.mppt_count = update.mppt_count;
    return d;
}

Result<DeviceFields> ParseDeviceFields(const json::object& body) {
    DeviceFields f;
    MH_ASSIGN_OR_RETURN(f.update.name, OptionalString(body, "name", 128));
    if (f.update.name && f.update.name->empty()) return MakeError(Errc::kInvalidArgument, "name: must not be empty");
    MH_ASSIGN_OR_RETURN(f.source, OptionalString(body, "source", 32));
    if (f.source) MH_RETURN_IF_ERROR(domain::Devices::CheckSource(*f.source));
    MH_ASSIGN_OR_RETURN(f.update.serial, OptionalString(body, "serial", 64));
    MH_ASSIGN_OR_RETURN(f.update.model, OptionalString(body, "model", 64));
    MH_ASSIGN_OR_RETURN(f.update.poll_address, OptionalString(body, "poll_address", 128));
    MH_ASSIGN_OR_RETURN(f.update.rated_power_w, OptionalNumber(body, "rated_power_w", 0, 1e9));
    MH_ASSIGN_OR_RETURN(auto mppts, OptionalNumber(body, "mppt_count", 1, 64));
    if (mppts) {
        if (*mppts != static_cast<int>(*mppts)) return MakeError(Errc::kInvalidArgument, "mppt_count: must be a whole number");
        f.update.mppt_count = static_cast<int>(*mppts);
    }
    return f;
}

net::Response JsonResponse(int status, const json::value& value) {
    // '<', '>' and '&' only occur inside strings in JSON, so escaping them everywhere keeps the text the same
    // JSON while making it inert if a browser ever sniffs it as HTML.
    std::string text = json::serialize(value);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '<': out += "\\u003c"; break;
            case '>': out += "\\u003e"; break;
            case '&': out += "\\u0026"; break;
            default: out += c;
        }
    }
    return net::Response::Json(status, std::move(out));
}

std::string IdString(std::int64_t id) { return std::to_string(id); }

std::string IsoTime(std::int64_t ms) { return FormatUtc(FromMillis(ms)); }

json::object View(const store::Tenant& t) {
    return {{"id", IdString(t.id.value())},
            {"name", t.name},
            {"time_zone", t.time_zone},
            {"raw_retention_days", t.raw_retention_days},
            {"created_at", IsoTime(ToMillis(t.created_at))}};
}

json::object View(const store::User& u) {
    return {{"id", IdString(u.id.value())},
            {"email", u.email},
            {"display_name", u.display_name},
            {"system_admin", u.system_admin},
            {"email_verified", u.email_verified},
            {"created_at", IsoTime(ToMillis(u.created_at))}};
}

json::object View(const store::Device& d) {
    return {{"id", IdString(d.id.value())},
            {"tenant_id", IdString(d.tenant.value())},
            {"name", d.name},
            {"source", d.source},
            {"serial", d.serial},
            {"model", d.model},
            {"firmware", d.firmware},
            {"rated_power_w", d.rated_power_w ? json::value(*d.rated_power_w) : json::value(nullptr)},
            {"mppt_count", d.mppt_count ? json::value(*d.mppt_count) : json::value(nullptr)},
            {"poll_address", d.poll_address},
            {"created_at", IsoTime(ToMillis(d.created_at))}};
}

json::object View(const store::UnclaimedDevice& d) {
    return {{"source", d.source},
            {"serial", d.serial},
            {"first_seen", IsoTime(ToMillis(d.first_seen))},
            {"last_seen", IsoTime(ToMillis(d.last_seen))},
            {"frames", d.frames},
            {"remote_address", d.remote_address},
            {"details", d.details}};
}

json::object View(const store::Series& s) {
    return {{"id", IdString(s.id.value())},   {"device_id", IdString(s.device.value())},
            {"metric", s.metric},              {"unit", s.unit},
            {"kind", store::SeriesKindName(s.kind)}};
}

json::object View(const store::ApiKey& k) {
    json::object o{{"id", IdString(k.id)},
                   {"name", k.name},
                   {"prefix", k.prefix},
                   {"created_at", IsoTime(ToMillis(k.created_at))}};
    o["revoked_at"] = k.revoked_at ? json::value(IsoTime(ToMillis(*k.revoked_at))) : json::value(nullptr);
    return o;
}

// A CSV cell, quoted when it holds separators, and defused when a spreadsheet would run it as a formula.
std::string CsvCell(std::string_view text) {
    std::string cell(text);
    if (!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@')) cell.insert(0, "'");
    if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
    std::string quoted = "\"";
    for (char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string JsonNumber(double v) {
    json::value value(v);
    return json::serialize(value);
}

}  // namespace mh::api
