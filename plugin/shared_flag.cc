#include "shared_flag.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace mljob::plugin {
namespace {

constexpr std::size_t kPage = 4096;

}  // namespace

SharedFlag::SharedFlag() {
  void* page = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    throw std::runtime_error(std::string("mmap of a shared page: ") + std::strerror(errno));
  }
  flag_ = new (page) std::atomic<bool>(false);
}

SharedFlag::~SharedFlag() {
  flag_->~atomic();
  munmap(flag_, kPage);
}

bool SharedFlag::test_and_set() {
  return !flag_->exchange(true);
}

}  // namespace mljob::plugin
