// Field map files: a FieldMap written as TOML, so that a new inverter model needs a file, not code.
// The format is specified in docs/protocols/solarman-v5.md, "Field map files"; an example is
// tests/fixtures/solarman/deye_micro_push.toml (the built-in "deye_micro_push" map, key for key).
//
//   name = "my_micro"                 layout = "push_payload" | "holding_registers"
//   [[field]]  name = "power_ac"  unit = "W"  kind = "gauge"  type = "u32le"  offset = 59  scale = 1
//
// Unknown keys, wrong value types, unknown kinds/types/layouts and everything ValidateFieldMap rejects are
// errors (Errc::kInvalidArgument) that name the source, the line where known, and the field. Pure except
// LoadFieldMapFile, which reads one file; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "ingest/solarman/field_map.hpp"

namespace mh::ingest::solarman {

// Parses and validates map text. `source` names it in error messages (a path, or "inline").
Result<FieldMap> ParseFieldMap(std::string_view text, std::string_view source = "inline");

// Reads (at most 1 MiB) and parses a map file.
Result<FieldMap> LoadFieldMapFile(const std::string& path);

}  // namespace mh::ingest::solarman
