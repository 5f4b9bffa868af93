#include "containers/json.h"

#include <cerrno>
#include <cstdlib>
#include <exception>

namespace procsql::containers {

bool JsonValue::as_int64(std::int64_t* out) const {
  if (type_ != Type::Number) return false;
  // The parser has checked the grammar; an integer has no '.', 'e' or 'E'.
  if (text_.find_first_of(".eE") != std::string::npos) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text_.c_str(), &end, 10);
  if (errno == ERANGE || end != text_.c_str() + text_.size()) return false;
  *out = v;
  return true;
}

const JsonValue* JsonValue::get(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  for (std::size_t i = keys_.size(); i-- > 0;)
    if (keys_[i] == key) return &items_[i];
  return nullptr;
}

const std::string* JsonValue::get_string(std::string_view key) const {
  const JsonValue* v = get(key);
  return v && v->is_string() ? &v->text_ : nullptr;
}

// Recursive descent over the input; every read is bounds-checked through
// peek()/at_end(), and each nested value costs one level of depth.
class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  bool parse(JsonValue* out, std::string* error) {
    skip_ws();
    if (!value(out, 0)) return fail_out(error);
    skip_ws();
    if (!at_end()) {
      err_ = "trailing characters after the value";
      return fail_out(error);
    }
    return true;
  }

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  bool fail(const char* what) {
    if (err_.empty()) err_ = what;
    return false;
  }
  bool fail_out(std::string* error) {
    if (error) *error = "JSON: " + err_ + " at byte " + std::to_string(pos_);
    return false;
  }

  void skip_ws() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(JsonValue* v, std::size_t depth) {
    if (at_end()) return fail("unexpected end of input");
    switch (peek()) {
      case '{': return object(v, depth + 1);
      case '[': return array(v, depth + 1);
      case '"': v->type_ = JsonValue::Type::String; return string(&v->text_);
      case 't': v->type_ = JsonValue::Type::Bool; v->bool_ = true; return literal("true");
      case 'f': v->type_ = JsonValue::Type::Bool; v->bool_ = false; return literal("false");
      case 'n': v->type_ = JsonValue::Type::Null; return literal("null");
      default: v->type_ = JsonValue::Type::Number; return number(&v->text_);
    }
  }

  bool object(JsonValue* v, std::size_t depth) {
    if (depth > kJsonMaxDepth) return fail("nesting too deep");
    v->type_ = JsonValue::Type::Object;
    ++pos_;  // '{'
    skip_ws();
    if (peek() == '}') { ++pos_; return true; }
    for (;;) {
      skip_ws();
      if (peek() != '"') return fail("expected a member name");
      v->keys_.emplace_back();
      if (!string(&v->keys_.back())) return false;
      skip_ws();
      if (peek() != ':') return fail("expected ':'");
      ++pos_;
      skip_ws();
      v->items_.emplace_back();
      if (!value(&v->items_.back(), depth)) return false;
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      if (peek() == '}') { ++pos_; return true; }
      return fail(at_end() ? "unexpected end of input" : "expected ',' or '}'");
    }
  }

  bool array(JsonValue* v, std::size_t depth) {
    if (depth > kJsonMaxDepth) return fail("nesting too deep");
    v->type_ = JsonValue::Type::Array;
    ++pos_;  // '['
    skip_ws();
    if (peek() == ']') { ++pos_; return true; }
    for (;;) {
      skip_ws();
      v->items_.emplace_back();
      if (!value(&v->items_.back(), depth)) return false;
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      if (peek() == ']') { ++pos_; return true; }
      return fail(at_end() ? "unexpected end of input" : "expected ',' or ']'");
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text.
  bool number(std::string* out) {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (is_digit(peek())) {
      while (is_digit(peek())) ++pos_;
    } else {
      return fail(start == pos_ ? "unexpected character" : "invalid number");
    }
    if (peek() == '.') {
      ++pos_;
      if (!is_digit(peek())) return fail("invalid number");
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(peek())) return fail("invalid number");
      while (is_digit(peek())) ++pos_;
    }
    out->assign(s_.substr(start, pos_ - start));
    return true;
  }

  bool hex4(unsigned* out) {
    if (s_.size() - pos_ < 4) return fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= unsigned(c - 'A' + 10);
      else return fail("invalid \\u escape");
    }
    *out = v;
    return true;
  }

  static void put_utf8(std::string* out, unsigned cp) {
    if (cp < 0x80) {
      *out += char(cp);
    } else if (cp < 0x800) {
      *out += char(0xC0 | (cp >> 6));
      *out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += char(0xE0 | (cp >> 12));
      *out += char(0x80 | ((cp >> 6) & 0x3F));
      *out += char(0x80 | (cp & 0x3F));
    } else {
      *out += char(0xF0 | (cp >> 18));
      *out += char(0x80 | ((cp >> 12) & 0x3F));
      *out += char(0x80 | ((cp >> 6) & 0x3F));
      *out += char(0x80 | (cp & 0x3F));
    }
  }

  // A \uXXXX escape (after the "\u"), joining a surrogate pair when one
  // follows. Lone surrogates cannot be UTF-8: they become U+FFFD.
  bool unicode_escape(std::string* out) {
    unsigned cp;
    if (!hex4(&cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
      const std::size_t save = pos_;
      pos_ += 2;
      unsigned lo;
      if (!hex4(&lo)) return false;
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        put_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
        return true;
      }
      pos_ = save;  // not a pair: the next escape is read on its own
    }
    put_utf8(out, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
    return true;
  }

  bool string(std::string* out) {
    ++pos_;  // opening quote
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const char c = s_[pos_];
      if (c == '"') { ++pos_; return true; }
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        // Copy the run of plain bytes at once.
        std::size_t end = pos_;
        while (end < s_.size() && s_[end] != '"' && s_[end] != '\\' &&
               static_cast<unsigned char>(s_[end]) >= 0x20)
          ++end;
        out->append(s_.substr(pos_, end - pos_));
        pos_ = end;
        continue;
      }
      ++pos_;
      if (at_end()) return fail("unterminated string");
      const char e = s_[pos_++];
      switch (e) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        case 'u': if (!unicode_escape(out)) return false; break;
        default: --pos_; return fail("invalid escape");
      }
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string err_;
};

bool parse_json(std::string_view text, JsonValue* out, std::string* error) {
  *out = JsonValue();
  try {
    JsonParser p(text);
    if (p.parse(out, error)) return true;
  } catch (const std::exception& e) {  // only allocation failure can throw here
    if (error) *error = std::string("JSON: ") + e.what();
  }
  *out = JsonValue();
  return false;
}

}  // namespace procsql::containers
