// Test helpers for the Solarman V5 tests: reading tests/fixtures/solarman/<name>.hex files (a comment line
// naming the source, then bytes as hex) and fixed instants.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "ingest/solarman/frame.hpp"

namespace mh::ingest::solarman::testing {

inline std::string FixturePath(std::string_view file) {
    return std::string(MH_TEST_SOURCE_DIR) + "/tests/fixtures/solarman/" + std::string(file);
}

// Bytes from hex text; whitespace is ignored, '#' starts a comment running to the end of the line.
inline std::vector<std::uint8_t> Hex(std::string_view text) {
    std::vector<std::uint8_t> bytes;
    int high = -1;
    bool comment = false;
    for (const char c : text) {
        if (c == '\n') comment = false;
        if (comment || std::isspace(static_cast<unsigned char>(c))) continue;
        if (c == '#') {
            comment = true;
            continue;
        }
        const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                          : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                          : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                      : -1;
        if (digit < 0) throw std::invalid_argument("not hex: " + std::string(1, c));
        if (high < 0) {
            high = digit;
        } else {
            bytes.push_back(static_cast<std::uint8_t>(high * 16 + digit));
            high = -1;
        }
    }
    if (high >= 0) throw std::invalid_argument("odd number of hex digits");
    return bytes;
}

inline std::string ReadText(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The bytes of tests/fixtures/solarman/<name>.hex. Every fixture must start with its "# source:" line.
inline std::vector<std::uint8_t> LoadHex(std::string_view name) {
    const std::string text = ReadText(FixturePath(std::string(name) + ".hex"));
    if (!text.starts_with("# source: ")) throw std::runtime_error(std::string(name) + ": no '# source:' header");
    return Hex(text);
}

inline Frame LoadFrame(std::string_view name) {
    auto frame = DecodeFrame(LoadHex(name));
    if (!frame) throw std::runtime_error(std::string(name) + ": " + frame.error().message);
    return *std::move(frame);
}

inline Timestamp UnixSeconds(std::int64_t seconds) {
    return FromMillis(seconds * 1000);
}

inline std::vector<std::uint8_t> Concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
    std::vector<std::uint8_t> out;
    for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

}  // namespace mh::ingest::solarman::testing
