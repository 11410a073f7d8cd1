#include "log_text.h"

namespace mljob::plugin {
namespace {

// Whether a quote and a backslash are escaped too: in a value, yes (so that the quotes
// around it are unambiguous); in a whole message, no (they are its own punctuation).
enum class Punctuation { escaped, kept };

// How one byte is written: itself or an escape, at most 4 characters.
struct Escape {
  char text[4];
  std::size_t size;
};

Escape escape_of(unsigned char byte, Punctuation punctuation) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool punctuation_escaped = punctuation == Punctuation::escaped;
  if ((byte == '\\' || byte == '"') && punctuation_escaped) {
    return {{'\\', static_cast<char>(byte)}, 2};
  }
  if (byte >= 0x20 && byte <= 0x7e) return {{static_cast<char>(byte)}, 1};
  if (byte == '\n') return {{'\\', 'n'}, 2};
  if (byte == '\r') return {{'\\', 'r'}, 2};
  if (byte == '\t') return {{'\\', 't'}, 2};
  return {{'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]}, 4};
}

// The escaped text, cut at `max_bytes`; `cut` says whether all of `text` fit.
struct Escaped {
  std::string text;
  bool cut = false;
};

Escaped escaped(std::string_view text, std::size_t max_bytes, Punctuation punctuation) {
  Escaped out;
  // Most values are short and need no escape: one allocation.
  out.text.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  for (char c : text) {
    const Escape escape = escape_of(static_cast<unsigned char>(c), punctuation);
    if (escape.size > max_bytes - out.text.size()) {
      out.cut = true;
      break;
    }
    out.text.append(escape.text, escape.size);
  }
  return out;
}

std::string length_note(std::string_view text) {
  return " (" + std::to_string(text.size()) + " bytes)";
}

}  // namespace

std::string log_printable(std::string_view text, std::size_t max_bytes) {
  Escaped out = escaped(text, max_bytes, Punctuation::escaped);
  if (out.cut) out.text += "..." + length_note(text);
  return std::move(out.text);
}

std::string log_quoted(std::string_view text, std::size_t max_bytes) {
  const Escaped out = escaped(text, max_bytes, Punctuation::escaped);
  return "\"" + out.text + (out.cut ? "...\"" + length_note(text) : "\"");
}

std::string log_line(std::string_view message) {
  Escaped whole = escaped(message, kMaxLogLineBytes, Punctuation::kept);
  if (!whole.cut) return std::move(whole.text);
  // Cut shorter, to leave room for the longest marker: "... (" + 20 digits + " bytes)".
  constexpr std::size_t kMarkerRoom = 32;
  Escaped out = escaped(message, kMaxLogLineBytes - kMarkerRoom, Punctuation::kept);
  return std::move(out.text) + "..." + length_note(message);
}

}  // namespace mljob::plugin
