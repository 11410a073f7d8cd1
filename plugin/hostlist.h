// Expansion of Slurm's compressed host lists ("n[1-3,5]", "gpu-[01-04]", "a1,b[2-3]").
//
// Why our own expander: the plugin is loaded into slurmd/slurmstepd, and libslurm's
// hostlist functions are not part of the SPANK API. Linking libslurm into slurmstepd's
// address space (a second copy of Slurm's internals, its globals and its logging) is not
// something SPANK plugins do; pyxis and the other well-known plugins avoid it too. The
// grammar we need is small: the names Slurm itself writes into SLURM_*_NODELIST.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::plugin {

// Upper bound on the names one host list may expand to. A real cluster has at most some
// tens of thousands of nodes; the bound keeps a malformed "n[0-999999999]" from making
// slurmstepd allocate without end.
inline constexpr std::size_t kMaxExpandedHosts = 65536;

// Upper bound on the length of one expanded name (DNS names have at most 253 characters).
// With kMaxExpandedHosts it bounds the memory one list takes (16 MiB): without it a 1 MiB
// value such as "xxx...xxx[0-65535]" would expand to 64 GiB.
inline constexpr std::size_t kMaxHostNameLength = 255;

// Expands a compressed host list into node names, in the order written.
//
// Grammar (Slurm's): entries separated by commas outside brackets; an entry is text with
// any number of bracket groups, each a comma list of numbers or "lo-hi" ranges, e.g.
// "rack[1-2]-node[01-03]" (the groups multiply, the rightmost varying fastest). The width
// of "lo" fixes zero padding: "[08-10]" gives 08, 09, 10.
//
// Throws std::invalid_argument naming the offending text on malformed input, when the
// list would expand beyond kMaxExpandedHosts names, and when a name would be longer than
// kMaxHostNameLength characters.
std::vector<std::string> expand_hostlist(std::string_view compressed);

}  // namespace mljob::plugin
