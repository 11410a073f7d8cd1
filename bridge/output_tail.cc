#include "bridge/output_tail.h"

#include <fstream>
#include <iterator>
#include <string>

namespace mljob::bridge {

void OutputTail::print_new(std::ostream& out) {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return;
  in.seekg(printed_);
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  printed_ += static_cast<std::streamoff>(chunk.size());
  out << chunk << std::flush;
}

}  // namespace mljob::bridge
