#include "text.h"

#include <cstdint>
#include <cstring>

namespace procsql::text {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if s[i] does not
// start one. The ranges are Unicode Table 3-7 ("well-formed byte sequences"):
// the narrowed second-byte ranges after E0, ED, F0 and F4 are what exclude
// overlongs, surrogates and code points above U+10FFFF.
std::size_t seq_len(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = at(i);
  if (b0 < 0x80) return 1;

  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // below: overlong
    if (b0 == 0xED) hi = 0x9F;  // above: surrogates D800..DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // below: overlong
    if (b0 == 0xF4) hi = 0x8F;  // above: > U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (always overlong), F5..FF
  }
  if (s.size() - i < n) return 0;  // cut short
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

// Length of the leading all-ASCII run, 8 bytes at a time: most of what we
// see (paths, flags) is ASCII and needs no per-byte decoding.
std::size_t ascii_prefix(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080ULL) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

const char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned v) {
  out += "\\u";
  out += kHex[(v >> 12) & 0xF];
  out += kHex[(v >> 8) & 0xF];
  out += kHex[(v >> 4) & 0xF];
  out += kHex[v & 0xF];
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t n = seq_len(s, i);
    if (n == 0) {
      append_u_escape(out, 0xDC00u | c);  // surrogateescape: raw byte 0x80..0xFF
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.data() + i, n);
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20 || c == 0x7F) {
      append_u_escape(out, c);  // JSON requires < 0x20; DEL escaped to stay printable
    } else {
      out += static_cast<char>(c);
    }
    i += n;
  }
  out += '"';
}

}  // namespace

std::string valid_utf8(std::string_view bytes) {
  std::size_t i = ascii_prefix(bytes);
  if (i == bytes.size()) return std::string(bytes);

  std::string out;
  out.reserve(bytes.size() + 8);
  out.append(bytes.data(), i);
  while (i < bytes.size()) {
    const std::size_t n = seq_len(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for this one byte
      ++i;
    } else {
      out.append(bytes.data() + i, n);
      i += n;
    }
  }
  return out;
}

bool is_valid_utf8(std::string_view bytes) {
  std::size_t i = ascii_prefix(bytes);
  while (i < bytes.size()) {
    const std::size_t n = seq_len(bytes, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::vector<std::string_view> split_argv(std::string_view raw) {
  std::vector<std::string_view> args;
  std::size_t start = 0;
  while (start < raw.size()) {
    std::size_t nul = raw.find('\0', start);
    if (nul == std::string_view::npos) {  // last argument, cut before its NUL
      args.push_back(raw.substr(start));
      break;
    }
    args.push_back(raw.substr(start, nul - start));
    start = nul + 1;
  }
  return args;
}

void cmdline_into(std::string_view raw, std::string* out) {
  // Joining split_argv()'s arguments with spaces is the same as turning each
  // NUL into a space once the one NUL that ends the last argument is dropped.
  if (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  out->assign(raw.data(), raw.size());
  // Eight bytes at a time, without a branch: a command line is short and has
  // a few NULs, so a search per NUL costs more than the word loop.
  char* p = out->data();
  const std::size_t n = out->size();
  std::size_t i = 0;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    // High bit of each byte that is 0 (exact: no borrow between bytes).
    const uint64_t zero = ~(((w & kLow7) + kLow7) | w | kLow7);
    w |= zero >> 2; // 0x80 >> 2 == ' '
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; i++) {
    if (p[i] == '\0') p[i] = ' ';
  }
  if (!is_valid_utf8(*out)) *out = valid_utf8(*out);
}

void fold_ascii(char* bytes, std::size_t n) {
  // Eight bytes at a time: 'A'..'Z' get 0x20 added, every other byte
  // (non-ASCII ones included) stays.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes + i, 8);
    const uint64_t low = w & kLow7;
    const uint64_t at_least_a = low + (0x80 - 'A') * kOnes; // high bit: byte >= 'A'
    const uint64_t above_z = low + (0x80 - 'Z' - 1) * kOnes; // high bit: byte > 'Z'
    const uint64_t upper = at_least_a & ~above_z & ~w & kHigh;
    w |= upper >> 2; // 0x80 >> 2 == 0x20
    std::memcpy(bytes + i, &w, 8);
  }
  for (; i < n; i++) {
    if (bytes[i] >= 'A' && bytes[i] <= 'Z') bytes[i] = char(bytes[i] + 32);
  }
}

bool ascii_contains(char* haystack, std::size_t n, std::string_view needle, bool nocase) {
  if (needle.empty()) return true;
  if (needle.size() > n) return false;
  if (nocase) fold_ascii(haystack, n);
  return memmem(haystack, n, needle.data(), needle.size()) != nullptr;
}

std::string cmdline(std::string_view raw) {
  std::string joined;
  cmdline_into(raw, &joined);
  return joined;
}

std::string argv_json(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 16);
  out += '[';
  bool first = true;
  for (std::string_view arg : split_argv(raw)) {
    if (!first) out += ',';
    append_json_string(out, arg);
    first = false;
  }
  out += ']';
  return out;
}

std::string env_json(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 16);
  out += '{';
  std::vector<std::string_view> seen;
  for (std::string_view var : split_argv(raw)) {
    const std::size_t eq = var.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = var.substr(0, eq);
    bool repeated = false;
    for (std::string_view s : seen) repeated = repeated || s == name;
    if (repeated) continue;
    seen.push_back(name);
    if (seen.size() > 1) out += ',';
    append_json_string(out, name);
    out += ':';
    append_json_string(out, var.substr(eq + 1));
  }
  out += '}';
  return out;
}

std::string tty_name(std::string_view kernel_name) {
  // devpts names its ttys "pts" + index; only that exact shape is rewritten.
  constexpr std::string_view kPts = "pts";
  if (kernel_name.size() > kPts.size() && kernel_name.substr(0, kPts.size()) == kPts &&
      kernel_name.find_first_not_of("0123456789", kPts.size()) == std::string_view::npos) {
    std::string out(kPts);
    out += '/';
    out.append(kernel_name.substr(kPts.size()));
    return out;
  }
  return std::string(kernel_name);
}

std::string_view cstr_field(const char* buf, std::size_t cap) {
  if (buf == nullptr || cap == 0) return {};
  const void* nul = std::memchr(buf, '\0', cap);
  return {buf, nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - buf) : cap};
}

}  // namespace procsql::text
