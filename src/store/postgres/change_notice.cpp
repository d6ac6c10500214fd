#include "store/postgres/change_notice.hpp"

#include <charconv>
#include <vector>

namespace mh::store::postgres {
namespace {

constexpr std::string_view kMagic = "mh1";

Error Bad(std::string_view why) {
    return MakeError(Errc::kInvalidArgument, "change notice: " + std::string(why));
}

std::string Escape(std::string_view text) {
    if (text.empty()) return "-";
    std::string out;
    for (char c : text) {
        switch (c) {
            case '%': out += "%25"; break;
            case ' ': out += "%20"; break;
            case '\n': out += "%0A"; break;
            case '-': out += text.size() == 1 ? "%2D" : "-"; break;
            default: out += c;
        }
    }
    return out;
}

Result<std::string> Unescape(std::string_view text) {
    if (text == "-") return std::string();
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const std::string_view code = text.substr(i + 1, 2);
        if (code == "25") {
            out += '%';
        } else if (code == "20") {
            out += ' ';
        } else if (code == "0A") {
            out += '\n';
        } else if (code == "2D") {
            out += '-';
        } else {
            return Bad("bad escape");
        }
        i += 2;
    }
    return out;
}

std::vector<std::string_view> Words(std::string_view text) {
    std::vector<std::string_view> words;
    while (!text.empty() && words.size() < 16) {
        const auto at = text.find(' ');
        words.push_back(text.substr(0, at));
        text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
    }
    return words;
}

bool ParseId(std::string_view text, std::int64_t& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && error == std::errc() && end == text.data() + text.size() && out > 0;
}

const char* KindName(ChangeNotice::What what) {
    switch (what) {
        case ChangeNotice::What::kDeviceCreated: return "created";
        case ChangeNotice::What::kDeviceUpdated: return "updated";
        case ChangeNotice::What::kDeviceDeleted: return "deleted";
        case ChangeNotice::What::kApiKeys: break;
    }
    return "";
}

}  // namespace

std::string EncodeChangeNotice(const ChangeNotice& notice) {
    std::string out = std::string(kMagic) + " " + Escape(notice.origin) + " ";
    if (notice.what == ChangeNotice::What::kApiKeys) return out + "api_keys";
    return out + "device " + KindName(notice.what) + " " + std::to_string(notice.tenant.value()) + " " +
           std::to_string(notice.device.value()) + " " + Escape(notice.source) + " " + Escape(notice.serial) + " " +
           Escape(notice.old_serial);
}

Result<ChangeNotice> DecodeChangeNotice(std::string_view payload) {
    if (payload.size() > 8000) return Bad("longer than a notification can be");
    const auto words = Words(payload);
    if (words.size() < 3 || words[0] != kMagic) return Bad("not a change notice");
    ChangeNotice notice;
    MH_ASSIGN_OR_RETURN(notice.origin, Unescape(words[1]));
    if (notice.origin.empty()) return Bad("no origin");
    if (words[2] == "api_keys" && words.size() == 3) return notice;
    if (words[2] != "device" || words.size() != 9) return Bad("unknown change");
    if (words[3] == "created") {
        notice.what = ChangeNotice::What::kDeviceCreated;
    } else if (words[3] == "updated") {
        notice.what = ChangeNotice::What::kDeviceUpdated;
    } else if (words[3] == "deleted") {
        notice.what = ChangeNotice::What::kDeviceDeleted;
    } else {
        return Bad("unknown device change");
    }
    std::int64_t tenant = 0, device = 0;
    if (!ParseId(words[4], tenant) || !ParseId(words[5], device)) return Bad("bad id");
    notice.tenant = TenantId(tenant);
    notice.device = DeviceId(device);
    MH_ASSIGN_OR_RETURN(notice.source, Unescape(words[6]));
    MH_ASSIGN_OR_RETURN(notice.serial, Unescape(words[7]));
    MH_ASSIGN_OR_RETURN(notice.old_serial, Unescape(words[8]));
    return notice;
}

}  // namespace mh::store::postgres
