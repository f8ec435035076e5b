#include "cli/command.h"

namespace teecloud::cli {

void AddChainCommands(CommandTable& /*table*/) {}

}  // namespace teecloud::cli
