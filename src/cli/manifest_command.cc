#include "cli/command.h"

namespace teecloud::cli {

void AddManifestCommands(CommandTable& /*table*/) {}

}  // namespace teecloud::cli
