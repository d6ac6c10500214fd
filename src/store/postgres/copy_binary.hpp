// CopyBinary: builds the input of `COPY ... FROM STDIN (FORMAT binary)`: the signature header, then each row as
// its field count and each field as a length and its bytes in network order, then the trailer. Pure; the
// columns' types must match the COPY's column list (int8 and float8 are all the journal needs).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace mh::store::postgres {

class CopyBinary {
  public:
    CopyBinary();

    // Starts a row of `fields` fields.
    void Row(std::int16_t fields);
    void Int8(std::int64_t value);
    void Float8(double value);
    // The whole input, trailer included; the builder is done.
    std::span<const std::uint8_t> Finish();

    void Clear();
    std::size_t size() const { return bytes_.size(); }

  private:
    std::string bytes_;
};

}  // namespace mh::store::postgres
