// Text from outside the plugin, made fit for a message in slurmd's log and the user's
// terminal.
//
// The plugin's messages (slurm_error, slurm_info, slurm_spank_log) name what a user, the
// job's environment or the administrator gave it: option values, MLJOB_* and SLURM_*
// variables, role lists, host names, paths. Copied raw, such a value can be a megabyte
// long, start a forged line of slurmd's log with a newline, or carry a terminal's escape
// sequences. So every such value is written into a message through log_quoted() or
// log_printable(), which escape it and cut it to a bound, and every message goes to Slurm
// through log_line(), which keeps it one bounded line whatever it holds.
//
// (Not named quoted/printable: for a std::string argument, argument-dependent lookup would
// find std::quoted of <iomanip> and prefer it.)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mljob::plugin {

// The most escaped text quoted from one value (messages name the value, they need not
// reproduce a megabyte of it).
inline constexpr std::size_t kMaxQuotedBytes = 256;

// The most text one message hands Slurm, cut marker included.
inline constexpr std::size_t kMaxLogLineBytes = 4096;

// `text` escaped and cut, without quotes, for values the message shows bare (a host name:
// "task 3 on n1"). Printable ASCII is kept, but a backslash becomes \\ and a double quote
// \"; a newline, carriage return and tab become \n, \r and \t; any other byte below 0x20 or
// above 0x7e becomes \xNN (so a value that is not UTF-8, or holds terminal controls, is
// shown byte for byte). At most `max_bytes` of escaped text are kept, never half an escape;
// when cut, "... (N bytes)" follows, N the length of the whole value.
std::string log_printable(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes);

// log_printable(text) within double quotes: "n1", "a\nb", and when cut
// "aaa...aaa..." (1048576 bytes).
std::string log_quoted(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes);

// A whole message as it goes to Slurm: one line of at most kMaxLogLineBytes. Control bytes
// and bytes above 0x7e are escaped as log_printable() does, but quotes and backslashes are
// kept (they are the message's own, or the escapes of a quoted value). The values in a
// message should already be quoted: this is the last guard, for text that reached a
// message another way (an exception's what(), a long list).
std::string log_line(std::string_view message);

}  // namespace mljob::plugin
