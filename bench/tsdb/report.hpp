// The run's figures: Report collects each measured Figure (stable id, table label, value, unit, optional target)
// and each Ratio against a same-run baseline, echoes them as they arrive, prints the final table and writes the
// same figures as JSON (bench/run and bench/solarman_load read both). Context is what every part is handed: the
// options and the report. Not thread-safe: parts add figures from the main thread only.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support.hpp"

namespace mh::bench {

struct Figure {
    std::string id;     // stable machine name, e.g. "ingest.1k.samples_per_s"
    std::string label;  // what the table says
    double value = 0;
    std::string unit;
    std::string target;  // e.g. ">= 1000000", empty when there is none
    std::optional<bool> met;
};

struct Ratio {
    std::string id;
    std::string label;
    double value = 0;
};

class Report {
  public:
    void Add(std::string id, std::string label, double value, std::string unit) {
        figures_.push_back(Figure{std::move(id), std::move(label), value, std::move(unit), {}, {}});
        Echo(figures_.back());
    }
    // A figure with a target from the issue; `higher_is_better` says which way `limit` bounds it.
    void AddTarget(std::string id, std::string label, double value, std::string unit, double limit,
                   bool higher_is_better) {
        Figure f{std::move(id), std::move(label), value, std::move(unit), {}, {}};
        f.target = fmt::format("{} {}", higher_is_better ? ">=" : "<=", Number(limit));
        f.met = higher_is_better ? value >= limit : value <= limit;
        figures_.push_back(std::move(f));
        Echo(figures_.back());
    }
    void AddRatio(std::string id, std::string label, double value) {
        ratios_.push_back(Ratio{std::move(id), std::move(label), value});
        fmt::print("  -> {:<92} {:>8.2f}x\n", ratios_.back().label, value);
        std::fflush(stdout);
    }
    std::optional<double> Get(std::string_view id) const {
        for (const auto& f : figures_) {
            if (f.id == id) return f.value;
        }
        return std::nullopt;
    }

    void PrintTable() const;
    void WriteJson(const std::string& path, const std::map<std::string, std::string>& context) const;

    static std::string Number(double v);

  private:
    static void Echo(const Figure& f);
    static std::string Quote(std::string_view s);
    static std::string JsonNumber(double v);

    std::vector<Figure> figures_;
    std::vector<Ratio> ratios_;
};

struct Context {
    Options options;
    Report report;
};

}  // namespace mh::bench
