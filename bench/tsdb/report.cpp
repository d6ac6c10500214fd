// Definitions for report.hpp: the table, the JSON and the number format both use.
#include "report.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mh::bench {

void Report::PrintTable() const {
    const std::string rule(136, '-');
    fmt::print("\n{}\n{:<84} {:>12} {:<10} {:<14} {}\n{}\n", rule, "figure", "value", "unit", "target", "met", rule);
    for (const auto& f : figures_) {
        fmt::print("{:<84} {:>12} {:<10} {:<14} {}\n", f.label, Number(f.value), f.unit, f.target,
                   f.met ? (*f.met ? "yes" : "NO") : "");
    }
    if (!ratios_.empty()) {
        fmt::print("{}\n{:<96} {:>12}\n{}\n", rule, "ratio against the same-run baseline", "value", rule);
        for (const auto& r : ratios_) fmt::print("{:<96} {:>11.2f}x\n", r.label, r.value);
    }
    fmt::print("{}\n", rule);
}

void Report::WriteJson(const std::string& path, const std::map<std::string, std::string>& context) const {
    std::ostringstream out;
    out << "{\n  \"context\": {";
    bool first = true;
    for (const auto& [key, value] : context) {
        out << (first ? "\n" : ",\n") << "    " << Quote(key) << ": " << Quote(value);
        first = false;
    }
    out << "\n  },\n  \"figures\": [";
    first = true;
    for (const auto& f : figures_) {
        out << (first ? "\n" : ",\n") << "    {\"id\": " << Quote(f.id) << ", \"label\": " << Quote(f.label)
            << ", \"value\": " << JsonNumber(f.value) << ", \"unit\": " << Quote(f.unit);
        if (!f.target.empty())
            out << ", \"target\": " << Quote(f.target) << ", \"met\": " << (*f.met ? "true" : "false");
        out << "}";
        first = false;
    }
    out << "\n  ],\n  \"ratios\": [";
    first = true;
    for (const auto& r : ratios_) {
        out << (first ? "\n" : ",\n") << "    {\"id\": " << Quote(r.id) << ", \"label\": " << Quote(r.label)
            << ", \"value\": " << JsonNumber(r.value) << "}";
        first = false;
    }
    out << "\n  ]\n}\n";
    const fs::path file(path);
    if (file.has_parent_path()) fs::create_directories(file.parent_path());
    std::ofstream(file) << out.str();
    fmt::print("JSON written to {}\n", path);
}

std::string Report::Number(double v) {
    if (v != 0 && std::fabs(v) < 10) return fmt::format("{:.3g}", v);
    if (std::fabs(v) < 1000 && v != std::round(v)) return fmt::format("{:.1f}", v);
    // Whole numbers and big ones without decimals, with thousands separators: 1,234,567. separators for the big
    // ones: 1,234,567.
    std::string digits = fmt::format("{:.0f}", std::fabs(v));
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

void Report::Echo(const Figure& f) {
    fmt::print("  {:<84} {:>14} {}\n", f.label, Number(f.value), f.unit);
    std::fflush(stdout);
}

std::string Report::Quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string Report::JsonNumber(double v) {
    return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

}  // namespace mh::bench
