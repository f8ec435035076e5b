// teecloud CLI entry point: the composition root (system clock, standard streams).
#include <iostream>

#include "base/clock.h"
#include "cli/app.h"

int main(int argc, char** argv) {
  const teecloud::SystemClock clock;
  return teecloud::cli::RunCli(argc, argv, clock, std::cout, std::cerr);
}
