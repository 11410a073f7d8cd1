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
// With kMaxExpandedHosts it bounds the memory one list takes: without it a 1 MiB value
// such as "xxx...xxx[0-65535]" would expand to 64 GiB. It bounds the digits of a bracket
// number too, zero padding included, before the range is expanded: "n[000...0001-65536]"
// with 100000 zeros is refused at once instead of making 65536 names of 100 KB.
inline constexpr std::size_t kMaxHostNameLength = 255;

// Upper bound on the heap one expand_hostlist call takes at its peak, whatever the length
// of the value (which the caller holds): 24 MiB. What it holds at most, all at once:
//   - the names: kMaxExpandedHosts of at most kMaxHostNameLength characters, each in one
//     allocation of at most 256 bytes (reserved whole, never grown): 16 MiB;
//   - the vector of their std::string objects: 65536 x 32 bytes, 2 MiB (3 MiB for a
//     moment while it grows, when it holds half the names);
//   - one entry's bracket groups, kept as numbers (16 bytes each) and refused before they
//     would exceed the names left: at most 65536 + 255 numbers, 2 MiB with a vector's
//     spare capacity; its literals and counters, a few KiB;
//   - the error message of a refusal, under 2 KiB.
// That is 20 MiB plus malloc's rounding (19.5 MiB measured for 65536 names of 255
// characters); nothing grows with the value itself: entries are found one at a time and
// every bound is checked before the memory it limits is taken. hostlist_test.cc measures
// the peak of the largest accepted and refused lists, and robustness_test.cc that of
// thousands of generated ones, against this number.
inline constexpr std::size_t kMaxExpansionHeapBytes = 24 * 1024 * 1024;

// Expands a compressed host list into node names, in the order written.
//
// Grammar (Slurm's): entries separated by commas outside brackets; an entry is text with
// any number of bracket groups, each a comma list of numbers or "lo-hi" ranges, e.g.
// "rack[1-2]-node[01-03]" (the groups multiply, the rightmost varying fastest). The width
// of "lo" fixes zero padding: "[08-10]" gives 08, 09, 10.
//
// Throws std::invalid_argument naming the offending text on malformed input, when the
// list would expand beyond kMaxExpandedHosts names, and when a name would be longer than
// kMaxHostNameLength characters; both are checked before the names they would add are
// made (a zero-padded bound too wide for a name takes no memory to refuse).
std::vector<std::string> expand_hostlist(std::string_view compressed);

}  // namespace mljob::plugin
