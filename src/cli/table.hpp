// A plain-text table for command output: columns padded to their widest cell.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace mh::cli {

class Table {
  public:
    explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
    void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void Print(std::ostream& out) const {
        std::vector<std::size_t> widths;
        for (const auto& row : rows_) {
            if (widths.size() < row.size()) widths.resize(row.size());
            for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
        }
        for (const auto& row : rows_) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                out << row[i];
                if (i + 1 < row.size()) out << std::string(widths[i] - row[i].size() + 2, ' ');
            }
            out << '\n';
        }
    }

  private:
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace mh::cli
