// mljob-study: the tuner's ask/tell interface (see study_command.h and tuner/README.md).
#include <iostream>

#include "tuner/study_command.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return mljob::tuner::run_study_command(std::vector<std::string>(argv + 1, argv + argc), std::cin, std::cout,
                                         std::cerr);
}
