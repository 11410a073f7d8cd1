// Small text helpers: reading the output of Slurm's commands, checking text from users.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mljob {

// "a|b||c" -> {"a", "b", "", "c"}; a trailing separator gives a trailing empty field.
std::vector<std::string> split(const std::string& text, char separator);

// Without leading and trailing white space.
std::string trim(const std::string& text);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF). mljob keeps records as JSON, whose text is UTF-8 (nlohmann::json refuses to write
// anything else), so text from users is checked where it comes in. Written here because
// nlohmann's own check is internal to its serializer and no other library in use offers one.
bool is_valid_utf8(std::string_view text);

}  // namespace mljob
