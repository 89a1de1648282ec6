// latchkey: the command-line client of latchkeyd. See docs/cli.md.
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return latchkey::cli::run_cli(args, latchkey::cli::process_environment(), std::cout, std::cerr);
}
