// How command groups plug into the `teecloud` CLI without editing app.cc.
//
// Each group (sim, manifest, chain, ...) has one `Add<Group>Commands(CommandTable&)` that adds its
// subcommands to the CLI11 tree and registers a handler per leaf command. Options live in
// objects the handler owns (e.g. a shared_ptr captured by the lambda), so they outlive parsing.
// After parsing, RunCli runs the handler of the leaf subcommand that was given.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace teecloud::cli {

// The process's outside world, as RunCli received it.
struct CliIo {
  const Clock& clock;
  std::ostream& out;
  std::ostream& err;
};

// Returns a process exit code (exit_codes.h).
using CommandHandler = std::function<int()>;

class CommandTable {
 public:
  CommandTable(CLI::App& root, CliIo io) : root_(root), io_(io) {}

  CLI::App& root() { return root_; }
  const CliIo& io() const { return io_; }

  // Returns the existing subcommand `name` of `parent`, or adds it (requiring one of its own
  // subcommands). Lets two groups share a parent such as `verify`.
  CLI::App* Group(CLI::App& parent, const std::string& name, const std::string& description) {
    for (CLI::App* sub : parent.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == name) return sub;
    }
    CLI::App* g = parent.add_subcommand(name, description);
    g->require_subcommand(1);
    return g;
  }

  // `run` is called when `leaf` was given on the command line.
  void Handle(CLI::App* leaf, CommandHandler run) { handlers_.emplace_back(leaf, std::move(run)); }

  // Runs the handler of the parsed leaf; nullopt when none was parsed. A command with a handler
  // of its own and subcommands (`verify APP` beside `verify quote`) is the leaf only when none
  // of its subcommands was given.
  std::optional<int> Dispatch() const {
    for (const auto& [leaf, run] : handlers_) {
      if (leaf->parsed() && leaf->get_subcommands().empty()) return run();
    }
    return std::nullopt;
  }

 private:
  CLI::App& root_;
  CliIo io_;
  std::vector<std::pair<CLI::App*, CommandHandler>> handlers_;
};

// Command groups, each implemented in its own <group>_command.cc.
void AddSimCommands(CommandTable& table);       // teecloud sim init
void AddManifestCommands(CommandTable& table);  // teecloud manifest
void AddChainCommands(CommandTable& table);     // teecloud chain|registry|app
void AddNodeCommands(CommandTable& table);      // teecloud deploy|ls|inspect|logs|upgrade|rm|...
// teecloud verify APP (verify_command.cc), on the `verify` group beside `verify quote`.
void AddVerifyAppCommand(CommandTable& table);

}  // namespace teecloud::cli
