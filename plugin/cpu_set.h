// A set of CPUs (or of NUMA nodes) as hwloc represents it, owned: a small RAII value type
// over hwloc_bitmap_t, so the binding logic can use hwloc's set operations and its
// "0-3,8-11" list text (the format of /proc's Cpus_allowed_list) without hand-written code.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hwloc.h>

namespace mljob::plugin {

class IndexSet {
 public:
  IndexSet();                                      // empty
  explicit IndexSet(hwloc_const_bitmap_t bitmap);  // a copy; empty for nullptr
  IndexSet(const IndexSet& other);
  IndexSet& operator=(const IndexSet& other);
  IndexSet(IndexSet&&) noexcept = default;
  IndexSet& operator=(IndexSet&&) noexcept = default;

  // "0-3,8-11" (hwloc_bitmap_list_sscanf); throws std::invalid_argument on bad text.
  static IndexSet from_list(std::string_view text);
  static IndexSet of(const std::vector<unsigned>& indexes);

  bool empty() const;
  unsigned count() const;
  bool contains(const IndexSet& other) const;  // other is a subset of this
  bool intersects(const IndexSet& other) const;
  bool operator==(const IndexSet& other) const;
  IndexSet operator&(const IndexSet& other) const;
  IndexSet operator|(const IndexSet& other) const;
  IndexSet& operator|=(const IndexSet& other);
  std::vector<unsigned> indexes() const;  // ascending, at most 65536 of them
  std::string list() const;               // "0-3,8-11"; "" when empty

  hwloc_const_bitmap_t get() const { return bitmap_.get(); }

 private:
  struct Free {
    void operator()(hwloc_bitmap_t bitmap) const { hwloc_bitmap_free(bitmap); }
  };
  std::unique_ptr<hwloc_bitmap_s, Free> bitmap_;
};

}  // namespace mljob::plugin
