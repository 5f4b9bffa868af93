// Turning the raw bytes the kernel hands us (argv, paths, cwd, comm, tty
// names) into the text our TEXT columns hold. No SQLite, no libbpf.
//
// Linux file names and arguments are bytes, not text: any byte but NUL (and
// '/' inside a name) is allowed, so none of this input is guaranteed UTF-8.
// Two policies, chosen per column:
//
//  * Lossy display text (path, cwd, comm, cmdline, ...): valid_utf8() keeps
//    valid UTF-8 as is and turns each byte that is not part of a valid
//    sequence into U+FFFD, so SQLite always gets well-formed TEXT.
//
//  * Exact argv (the `argv` column): argv_json() emits a JSON array of strings
//    that round-trips every argument byte for byte. Valid UTF-8 is emitted as
//    is (with '"', '\\', C0 controls and DEL escaped); each byte that is not
//    part of valid UTF-8 is emitted as the lone low surrogate escape \udcXX,
//    XX being the byte (0x80..0xFF). This is Python's PEP 383
//    "surrogateescape" convention:
//        json.loads(argv)[i].encode('utf-8', 'surrogateescape')
//    gives back the exact bytes of argument i. It is unambiguous because valid
//    UTF-8 never encodes a surrogate, so a \udcXX can only come from a raw byte.
//    Other JSON readers see U+DC80..U+DCFF and must map them back themselves.
//
// "Valid UTF-8" is strict (RFC 3629 / Unicode Table 3-7): no overlong forms,
// no encoded surrogates U+D800..U+DFFF, nothing above U+10FFFF, no 0xC0, 0xC1,
// 0xF5..0xFF. Invalid input is judged one byte at a time: a truncated or
// broken sequence of n bytes yields n replacements (n U+FFFD, n \udcXX).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace procsql::text {

// `bytes` as valid UTF-8: returned unchanged when already valid, otherwise
// each byte not part of a valid sequence replaced by U+FFFD (EF BF BD).
std::string valid_utf8(std::string_view bytes);

// True when valid_utf8(bytes) would return `bytes` unchanged. Allocates
// nothing: the tables use it to hand valid text (nearly all of it) to SQLite
// without a copy of their own.
bool is_valid_utf8(std::string_view bytes);

// The arguments in a raw argv area (arguments separated by NUL, possibly cut
// at a byte bound so the last one may lack its NUL). A trailing NUL ends the
// last argument and adds none; an empty argument in the middle ("a\0\0b") is
// kept, since "" is a real argument; an empty `raw` has zero arguments.
// The views point into `raw`.
std::vector<std::string_view> split_argv(std::string_view raw);

// The arguments joined by single spaces, through valid_utf8(): lossy, for
// display and LIKE. Not reversible (an argument may itself contain spaces).
std::string cmdline(std::string_view raw);

// Lower-cases the ASCII letters of `bytes` in place (other bytes stay).
void fold_ascii(char* bytes, std::size_t n);

// Whether the n bytes at `haystack` hold `needle`. nocase: `needle` is lower
// case and the haystack's ASCII letters are compared folded, as LIKE does
// (the haystack is folded in place: pass a copy).
bool ascii_contains(char* haystack, std::size_t n, std::string_view needle, bool nocase);
// The same, written into *out (its buffer reused from row to row).
void cmdline_into(std::string_view raw, std::string* out);

// The arguments as a JSON array of strings, exact per the convention above.
// Empty `raw` gives "[]". Accepted by SQLite's json_valid().
std::string argv_json(std::string_view raw);

// Environment variables ("NAME=value", each ending in NUL, as the kernel
// filter keeps them) as a JSON object, names and values exact per the
// convention above. A name given twice keeps its first value (what getenv
// returns); an entry without '=' is skipped. Empty `raw` gives "{}".
std::string env_json(std::string_view raw);

// A kernel tty_struct name as `ps` shows it: pty slaves are named "ptsN" in
// the kernel but live at /dev/pts/N, so "pts3" -> "pts/3"; anything else
// ("tty1", "ttyS0", "console") is unchanged; empty stays empty.
std::string tty_name(std::string_view kernel_name);

// The NUL-terminated prefix of a fixed char array (e.g. comm[16]); the whole
// array if it holds no NUL. Never reads past buf[cap - 1].
std::string_view cstr_field(const char* buf, std::size_t cap);

}  // namespace procsql::text
