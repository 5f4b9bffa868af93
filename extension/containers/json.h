// A small strict JSON reader (RFC 8259) for the container runtimes' state
// files: runc's state.json, OCI config.json, Docker's config.v2.json.
//
// Why our own: the only JSON libraries on our Debian package list are C
// runtime libraries without headers, Boost.JSON needs a compiled library we do
// not have, and Boost.PropertyTree's JSON parser loses types (numbers, null
// and bools all become strings) and throws. These files are small and are
// written by root-owned daemons, but we still read them as untrusted input:
// malformed, truncated or hostile text gives an error, never a crash, an
// exception or unbounded recursion.
//
// Reading only: no writer, no comments, no trailing commas, no NaN. Strings
// are decoded (escapes, \u surrogate pairs to UTF-8; a lone surrogate becomes
// U+FFFD, as Go's decoder does). Raw bytes inside strings are kept as they
// are, not checked as UTF-8: callers that hand them to SQLite pass them
// through text::valid_utf8 like any other bytes from the system.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace procsql::containers {

class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const { return bool_; }
  // The decoded string, or for a number its text exactly as written (so
  // integers are read exactly, not through a double). Empty for other types.
  const std::string& text() const { return text_; }
  // A number that is an integer in int64 range (no fraction, no exponent).
  bool as_int64(std::int64_t* out) const;

  // Array elements; object member values (in document order).
  const std::vector<JsonValue>& items() const { return items_; }
  // Object member names, parallel to items().
  const std::vector<std::string>& keys() const { return keys_; }

  // The member named `key` of an object, or nullptr (not an object, or no
  // such member). With duplicate names the last one wins, as in Go's
  // encoding/json, which is what wrote these files.
  const JsonValue* get(std::string_view key) const;
  // get(key) when it is a string, else nullptr.
  const std::string* get_string(std::string_view key) const;

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<std::string> keys_;
};

// Deepest nesting of arrays/objects accepted: the parser recurses once per
// level, so this bounds its stack use on "[[[[..." (real files nest < 10).
inline constexpr std::size_t kJsonMaxDepth = 128;

// Parses exactly one JSON value (surrounded by optional whitespace) from
// `text` into *out. On failure returns false, leaves *out null and sets
// *error to a message with the byte offset. Never throws.
bool parse_json(std::string_view text, JsonValue* out, std::string* error);

}  // namespace procsql::containers
