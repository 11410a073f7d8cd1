#include "cpu_set.h"

#include <cstdlib>
#include <new>
#include <stdexcept>

#include "log_text.h"

namespace mljob::plugin {
namespace {

constexpr unsigned kMostIndexes = 65536;

hwloc_bitmap_t allocated(hwloc_bitmap_t bitmap) {
  if (!bitmap) throw std::bad_alloc();
  return bitmap;
}

}  // namespace

IndexSet::IndexSet() : bitmap_(allocated(hwloc_bitmap_alloc())) {}

IndexSet::IndexSet(hwloc_const_bitmap_t bitmap)
    : bitmap_(allocated(bitmap ? hwloc_bitmap_dup(bitmap) : hwloc_bitmap_alloc())) {}

IndexSet::IndexSet(const IndexSet& other) : IndexSet(other.get()) {}

IndexSet& IndexSet::operator=(const IndexSet& other) {
  if (this != &other) {
    if (hwloc_bitmap_copy(bitmap_.get(), other.get()) != 0) throw std::bad_alloc();
  }
  return *this;
}

IndexSet IndexSet::from_list(std::string_view text) {
  IndexSet set;
  const std::string copy(text);  // hwloc wants a NUL-terminated string
  if (hwloc_bitmap_list_sscanf(set.bitmap_.get(), copy.c_str()) != 0 || hwloc_bitmap_weight(set.get()) < 0) {
    throw std::invalid_argument(log_quoted(text) + " is not a list of indexes such as 0-3,8");
  }
  return set;
}

IndexSet IndexSet::of(const std::vector<unsigned>& indexes) {
  IndexSet set;
  for (unsigned index : indexes) {
    if (hwloc_bitmap_set(set.bitmap_.get(), index) != 0) throw std::bad_alloc();
  }
  return set;
}

bool IndexSet::empty() const {
  return hwloc_bitmap_iszero(get());
}

unsigned IndexSet::count() const {
  const int weight = hwloc_bitmap_weight(get());
  return weight < 0 ? kMostIndexes : static_cast<unsigned>(weight);
}

bool IndexSet::contains(const IndexSet& other) const {
  return hwloc_bitmap_isincluded(other.get(), get());
}

bool IndexSet::intersects(const IndexSet& other) const {
  return hwloc_bitmap_intersects(get(), other.get());
}

bool IndexSet::operator==(const IndexSet& other) const {
  return hwloc_bitmap_isequal(get(), other.get());
}

IndexSet IndexSet::operator&(const IndexSet& other) const {
  IndexSet result;
  if (hwloc_bitmap_and(result.bitmap_.get(), get(), other.get()) != 0) throw std::bad_alloc();
  return result;
}

IndexSet IndexSet::operator|(const IndexSet& other) const {
  IndexSet result;
  if (hwloc_bitmap_or(result.bitmap_.get(), get(), other.get()) != 0) throw std::bad_alloc();
  return result;
}

IndexSet& IndexSet::operator|=(const IndexSet& other) {
  if (hwloc_bitmap_or(bitmap_.get(), get(), other.get()) != 0) throw std::bad_alloc();
  return *this;
}

std::vector<unsigned> IndexSet::indexes() const {
  std::vector<unsigned> result;
  for (int i = hwloc_bitmap_first(get()); i >= 0 && result.size() < kMostIndexes; i = hwloc_bitmap_next(get(), i)) {
    result.push_back(static_cast<unsigned>(i));
  }
  return result;
}

std::string IndexSet::list() const {
  char* text = nullptr;
  if (hwloc_bitmap_list_asprintf(&text, get()) < 0 || !text) throw std::bad_alloc();
  std::string result(text);
  std::free(text);
  return result;
}

}  // namespace mljob::plugin
