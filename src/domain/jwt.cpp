#include "domain/jwt.hpp"

#include <sodium.h>

#include <array>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

namespace mh::domain {
namespace {

constexpr int kBase64Variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::size_t kMaxIssuerLength = 128;
constexpr std::size_t kJtiBytes = 16;
constexpr std::size_t kMaxJtiLength = 64;
constexpr std::size_t kMaxJsonMembers = 32;
// NumericDates are accepted from 1970-01-01 to 9999-12-31; this also keeps seconds * 1000 far from overflow.
constexpr std::int64_t kMaxNumericDate = 253'402'300'799;

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

void InitSodiumOrThrow() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

const unsigned char* Bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

std::string EncodeBase64Url(std::string_view bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), kBase64Variant), '\0');
    sodium_bin2base64(out.data(), out.size(), Bytes(bytes), bytes.size(), kBase64Variant);
    out.resize(std::strlen(out.c_str()));
    return out;
}

// Strict: libsodium refuses characters outside the URL-safe alphabet, padding, impossible lengths and
// non-zero trailing bits, so each byte string has exactly one accepted encoding.
std::optional<std::string> DecodeBase64Url(std::string_view text) {
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t length = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &length, nullptr, kBase64Variant) != 0) {
        return std::nullopt;
    }
    out.resize(length);
    return out;
}

Mac Sign(std::string_view secret, std::string_view signing_input) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, Bytes(secret), secret.size());
    crypto_auth_hmacsha256_update(&state, Bytes(signing_input), signing_input.size());
    Mac mac;
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return mac;
}

// A JSON value as the claims reader understands it. Floats, booleans, null, arrays and nested objects make
// the whole object unreadable: Issue never writes them, and refusing them keeps this reader tiny.
using JsonValue = std::variant<std::string, std::int64_t>;
using JsonObject = std::map<std::string, JsonValue, std::less<>>;

// Reads one flat JSON object. Not recursive, so hostile input cannot exhaust the stack; the caller bounds
// the input size.
class FlatJsonReader {
  public:
    explicit FlatJsonReader(std::string_view text) : text_(text) {}

    std::optional<JsonObject> ReadObject() {
        JsonObject object;
        SkipSpace();
        if (!Consume('{')) return std::nullopt;
        SkipSpace();
        if (!Consume('}')) {
            do {
                SkipSpace();
                auto name = ReadString();
                SkipSpace();
                if (!name || !Consume(':')) return std::nullopt;
                SkipSpace();
                auto value = ReadValue();
                if (!value || object.size() >= kMaxJsonMembers) return std::nullopt;
                if (!object.emplace(std::move(*name), std::move(*value)).second) return std::nullopt;  // duplicate
                SkipSpace();
            } while (Consume(','));
            if (!Consume('}')) return std::nullopt;
        }
        SkipSpace();
        if (pos_ != text_.size()) return std::nullopt;
        return object;
    }

  private:
    bool AtEnd() const { return pos_ >= text_.size(); }

    bool Consume(char c) {
        if (AtEnd() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }

    void SkipSpace() {
        while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }

    std::optional<JsonValue> ReadValue() {
        if (!AtEnd() && text_[pos_] == '"') {
            auto text = ReadString();
            if (!text) return std::nullopt;
            return JsonValue(std::move(*text));
        }
        return ReadInteger();
    }

    std::optional<std::string> ReadString() {
        if (!Consume('"')) return std::nullopt;
        std::string out;
        while (!AtEnd()) {
            const char c = text_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (AtEnd()) return std::nullopt;
            switch (text_[pos_++]) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                default: return std::nullopt;  // including \u escapes, which Issue never writes
            }
        }
        return std::nullopt;
    }

    std::optional<JsonValue> ReadInteger() {
        const std::size_t start = pos_;
        Consume('-');
        const std::size_t digits = pos_;
        while (!AtEnd() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        if (pos_ == digits) return std::nullopt;
        if (text_[digits] == '0' && pos_ - digits > 1) return std::nullopt;  // JSON has no leading zeros
        std::int64_t value = 0;
        const char* end = text_.data() + pos_;
        const auto [ptr, ec] = std::from_chars(text_.data() + start, end, value);
        if (ec != std::errc{} || ptr != end) return std::nullopt;  // out of range
        return JsonValue(value);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

std::optional<JsonObject> ParseSegment(std::string_view base64) {
    const auto json = DecodeBase64Url(base64);
    if (!json) return std::nullopt;
    return FlatJsonReader(*json).ReadObject();
}

const std::string* FindString(const JsonObject& object, std::string_view name) {
    const auto found = object.find(name);
    return found == object.end() ? nullptr : std::get_if<std::string>(&found->second);
}

const std::int64_t* FindInteger(const JsonObject& object, std::string_view name) {
    const auto found = object.find(name);
    return found == object.end() ? nullptr : std::get_if<std::int64_t>(&found->second);
}

bool IsNumericDate(const std::int64_t* seconds) {
    return seconds != nullptr && *seconds >= 0 && *seconds <= kMaxNumericDate;
}

// "sub" is the user id in canonical decimal: digits only, no sign, no leading zero, positive, fits int64.
std::optional<UserId> ParseSubject(const std::string* subject) {
    if (subject == nullptr || subject->empty() || (*subject)[0] < '1' || (*subject)[0] > '9') return std::nullopt;
    std::int64_t value = 0;
    const char* end = subject->data() + subject->size();
    const auto [ptr, ec] = std::from_chars(subject->data(), end, value);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    return UserId{value};
}

bool IsValidIssuer(std::string_view issuer) {
    if (issuer.empty() || issuer.size() > kMaxIssuerLength) return false;
    for (const char c : issuer) {
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
}

Error Refuse(std::string message) {
    return MakeError(Errc::kUnauthenticated, std::move(message));
}

}  // namespace

JwtIssuer::JwtIssuer(std::string secret, std::string issuer) : secret_(std::move(secret)), issuer_(std::move(issuer)) {
    if (secret_.size() < kMinJwtSecretBytes) {
        throw std::invalid_argument("JWT secret must be at least " + std::to_string(kMinJwtSecretBytes) + " bytes");
    }
    if (!IsValidIssuer(issuer_)) {
        throw std::invalid_argument("JWT issuer must be 1-128 printable ASCII characters without quotes");
    }
    InitSodiumOrThrow();
}

Result<std::string> JwtIssuer::Issue(UserId user, Timestamp now, std::chrono::seconds lifetime) const {
    if (!user.valid()) return MakeError(Errc::kInvalidArgument, "token subject must be a valid user id");
    if (lifetime <= std::chrono::seconds::zero()) {
        return MakeError(Errc::kInvalidArgument, "token lifetime must be positive");
    }
    const std::int64_t issued_at = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
    if (issued_at < 0 || issued_at > kMaxNumericDate || lifetime.count() > kMaxNumericDate - issued_at) {
        return MakeError(Errc::kInvalidArgument, "token times out of range");
    }
    const std::int64_t expires_at = issued_at + lifetime.count();

    std::array<unsigned char, kJtiBytes> jti_bytes;
    randombytes_buf(jti_bytes.data(), jti_bytes.size());
    std::array<char, kJtiBytes * 2 + 1> jti;
    sodium_bin2hex(jti.data(), jti.size(), jti_bytes.data(), jti_bytes.size());

    const std::string payload = R"({"iss":")" + issuer_ + R"(","sub":")" + std::to_string(user.value()) +
                                R"(","iat":)" + std::to_string(issued_at) + R"(,"exp":)" + std::to_string(expires_at) +
                                R"(,"jti":")" + jti.data() + R"("})";
    std::string token = EncodeBase64Url(kHeaderJson) + '.' + EncodeBase64Url(payload);
    const Mac mac = Sign(secret_, token);
    token += '.';
    token += EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
    return token;
}

Result<TokenClaims> JwtIssuer::Verify(std::string_view token, Timestamp now) const {
    if (token.size() > kMaxTokenBytes) return Refuse("token too large");
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
        return Refuse("malformed token");
    }

    // The header is read before the signature is checked, but only to refuse: the algorithm is fixed.
    const auto header = ParseSegment(token.substr(0, first_dot));
    if (!header) return Refuse("malformed token header");
    const std::string* alg = FindString(*header, "alg");
    if (alg == nullptr || *alg != "HS256") return Refuse("unsupported token algorithm");
    for (const auto& [name, value] : *header) {
        const auto* text = std::get_if<std::string>(&value);
        if (name != "alg" && !(name == "typ" && text != nullptr && *text == "JWT")) {
            return Refuse("unsupported token header");
        }
    }

    const auto signature = DecodeBase64Url(token.substr(second_dot + 1));
    if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES) return Refuse("bad token signature");
    const Mac expected = Sign(secret_, token.substr(0, second_dot));
    if (sodium_memcmp(expected.data(), signature->data(), expected.size()) != 0) return Refuse("bad token signature");

    const auto claims = ParseSegment(token.substr(first_dot + 1, second_dot - first_dot - 1));
    if (!claims) return Refuse("malformed token claims");
    const std::string* iss = FindString(*claims, "iss");
    if (iss == nullptr || *iss != issuer_) return Refuse("wrong token issuer");
    const std::optional<UserId> user = ParseSubject(FindString(*claims, "sub"));
    if (!user) return Refuse("invalid token subject");
    const std::int64_t* iat = FindInteger(*claims, "iat");
    const std::int64_t* exp = FindInteger(*claims, "exp");
    if (!IsNumericDate(iat) || !IsNumericDate(exp) || *exp <= *iat) return Refuse("invalid token times");
    const std::string* jti = FindString(*claims, "jti");
    if (jti == nullptr || jti->empty() || jti->size() > kMaxJtiLength) return Refuse("invalid token id");

    const std::int64_t now_ms = ToMillis(now);
    if (*exp * 1000 <= now_ms) return Refuse("token expired");
    if (*iat * 1000 - Millis(kMaxClockSkew).count() > now_ms) return Refuse("token not yet valid");
    return TokenClaims{*user, *iat, *exp, *jti};
}

}  // namespace mh::domain
