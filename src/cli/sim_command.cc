#include "cli/command.h"

namespace teecloud::cli {

void AddSimCommands(CommandTable& /*table*/) {}

}  // namespace teecloud::cli
